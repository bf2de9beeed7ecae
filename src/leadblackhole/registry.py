"""The hypothesis registry of docs/study.md as data.

Each entry names the outcome share, the predictor, the moderator (or ``None``
for a main effect), the expected sign (``+1``, ``-1``, or ``0`` for an
exploratory row) and the published finding in words. Everything that tests or
reports hypotheses reads this table; nothing else encodes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["HYPOTHESES", "Hypothesis", "registry_frame"]


@dataclass(frozen=True)
class Hypothesis:
    """One row of the registry.

    Attributes
    ----------
    id : str
        Identifier (``H1`` ... ``H11``, ``E1``).
    outcome : str
        Share the effect is read on: ``marketing`` or ``self``.
    predictor : str
        Focal predictor.
    moderator : str or None
        Moderator for a cross-partial effect, ``None`` for a main effect.
    expected_sign : int
        ``+1`` or ``-1``; ``0`` marks an exploratory row with no prediction.
    finding : str
        The published finding in words.
    """

    id: str
    outcome: str
    predictor: str
    moderator: str | None
    expected_sign: int
    finding: str

    @property
    def exploratory(self) -> bool:
        """Whether the row makes no directional prediction."""
        return self.expected_sign == 0


HYPOTHESES: tuple[Hypothesis, ...] = (
    Hypothesis(
        "H1",
        "marketing",
        "prequal",
        None,
        +1,
        "Better lead prequalification increases time on marketing leads.",
    ),
    Hypothesis(
        "H2",
        "self",
        "prequal",
        None,
        -1,
        "Better lead prequalification decreases time on self-generated leads.",
    ),
    Hypothesis(
        "H3",
        "marketing",
        "tracking",
        None,
        +1,
        "Managerial tracking of follow-up increases time on marketing leads.",
    ),
    Hypothesis(
        "H4",
        "marketing",
        "volume",
        None,
        +1,
        "More marketing leads increase time on marketing leads.",
    ),
    Hypothesis(
        "H5",
        "marketing",
        "experience",
        None,
        -1,
        "More experienced reps spend less time on marketing leads.",
    ),
    Hypothesis(
        "H6",
        "marketing",
        "performance",
        None,
        -1,
        "Better-performing reps spend less time on marketing leads.",
    ),
    Hypothesis(
        "H7",
        "marketing",
        "tracking",
        "experience",
        -1,
        "The response to tracking falls as experience rises.",
    ),
    Hypothesis(
        "H8",
        "marketing",
        "volume",
        "experience",
        -1,
        "The response to lead volume falls as experience rises.",
    ),
    Hypothesis(
        "H9",
        "marketing",
        "prequal",
        "experience",
        +1,
        "The response to prequalification quality rises with experience.",
    ),
    Hypothesis(
        "H10",
        "marketing",
        "volume",
        "performance",
        +1,
        "The response to lead volume rises with past performance.",
    ),
    Hypothesis(
        "H11",
        "marketing",
        "tracking",
        "performance",
        -1,
        "The response to tracking falls with past performance (monitoring backfires).",
    ),
    Hypothesis(
        "E1", "marketing", "prequal", "performance", 0, "Exploratory: no published prediction."
    ),
)


def registry_frame() -> pd.DataFrame:
    """The registry as a DataFrame indexed by ``id``."""
    rows = [
        {
            "id": h.id,
            "outcome": h.outcome,
            "predictor": h.predictor,
            "moderator": h.moderator,
            "expected_sign": h.expected_sign,
            "finding": h.finding,
        }
        for h in HYPOTHESES
    ]
    return pd.DataFrame(rows).set_index("id")
