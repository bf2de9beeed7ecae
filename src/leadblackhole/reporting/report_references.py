"""The report's reference list: every work its text cites, and the study.

:data:`REFERENCES` pairs each entry with the pattern of its citation in the
report's text (an author pair, a method's name); :func:`references_section`
lists the entries whose pattern occurs in the report as assembled so far, so the
list never names a work the text does not use.
"""

from __future__ import annotations

import re

__all__ = ["REFERENCES", "cited_references", "references_section"]

#: (pattern of the citation in the text, the reference), in alphabetical order.
REFERENCES: tuple[tuple[str, str], ...] = (
    (
        r"Ai & Norton",
        "Ai, C., & Norton, E. C. (2003). Interaction terms in logit and probit models. "
        "*Economics Letters*, 80(1), 123–129. https://doi.org/10.1016/S0165-1765(03)00032-6",
    ),
    (
        r"\bBH\b|Benjamini",
        "Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: A "
        "practical and powerful approach to multiple testing. *Journal of the Royal "
        "Statistical Society: Series B*, 57(1), 289–300.",
    ),
    (
        r"Cronbach",
        "Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. "
        "*Psychometrika*, 16(3), 297–334. https://doi.org/10.1007/BF02310555",
    ),
    (
        r"Esarey",
        "Esarey, J., & Sumner, J. L. (2018). Marginal effects in interaction models: "
        "Determining and controlling the false positive rate. *Comparative Political "
        "Studies*, 51(9), 1144–1170. https://doi.org/10.1177/0010414017730080",
    ),
    (
        r"Feldt",
        "Feldt, L. S. (1965). The approximate sampling distribution of Kuder–Richardson "
        "reliability coefficient twenty. *Psychometrika*, 30(3), 357–370. "
        "https://doi.org/10.1007/BF02289499",
    ),
    (
        r"Fornell",
        "Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with "
        "unobservable variables and measurement error. *Journal of Marketing Research*, "
        "18(1), 39–50. https://doi.org/10.1177/002224378101800104",
    ),
    (
        r"HTMT",
        "Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing "
        "discriminant validity in variance-based structural equation modeling. *Journal of "
        "the Academy of Marketing Science*, 43(1), 115–135. "
        "https://doi.org/10.1007/s11747-014-0403-8",
    ),
    (
        r"\bHolm\b",
        "Holm, S. (1979). A simple sequentially rejective multiple test procedure. "
        "*Scandinavian Journal of Statistics*, 6(2), 65–70.",
    ),
    (
        r"Johnson–Neyman",
        "Johnson, P. O., & Neyman, J. (1936). Tests of certain linear hypotheses and their "
        "application to some educational problems. *Statistical Research Memoirs*, 1, 57–93.",
    ),
    (
        r"Dirichlet",
        "Maier, M. J. (2014). DirichletReg: Dirichlet regression for compositional data in "
        "R. Research Report Series 125, Institute for Statistics and Mathematics, WU "
        "Vienna University of Economics and Business.",
    ),
    (
        r"[Ff]ractional logit",
        "Papke, L. E., & Wooldridge, J. M. (1996). Econometric methods for fractional "
        "response variables with an application to 401(k) plan participation rates. "
        "*Journal of Applied Econometrics*, 11(6), 619–632.",
    ),
    (
        r"[Cc]ommon-method",
        "Podsakoff, P. M., MacKenzie, S. B., Lee, J.-Y., & Podsakoff, N. P. (2003). Common "
        "method biases in behavioral research: A critical review of the literature and "
        "recommended remedies. *Journal of Applied Psychology*, 88(5), 879–903. "
        "https://doi.org/10.1037/0021-9010.88.5.879",
    ),
    (
        r"Sabnis",
        "Sabnis, G., Chatterjee, S. C., Grewal, R., & Lilien, G. L. (2013). The sales lead "
        "black hole: On sales reps' follow-up of marketing leads. *Journal of Marketing*, "
        "77(1), 52–67. https://doi.org/10.1509/jm.10.0047",
    ),
    (
        r"\bSUR\b",
        "Zellner, A. (1962). An efficient method of estimating seemingly unrelated "
        "regressions and tests for aggregation bias. *Journal of the American Statistical "
        "Association*, 57(298), 348–368. https://doi.org/10.1080/01621459.1962.10480664",
    ),
)


def cited_references(text: str) -> list[str]:
    """The references whose citation occurs in ``text``, in :data:`REFERENCES` order.

    Examples
    --------
    >>> [r.split(",")[0] for r in cited_references("Sabnis et al.; Ai & Norton 2003")]
    ['Ai', 'Sabnis']
    """
    return [ref for pattern, ref in REFERENCES if re.search(pattern, text)]


def references_section(text: str) -> list[str]:
    """The ``## References`` section of a report whose Markdown so far is ``text``."""
    refs = cited_references(text)
    if not refs:
        return []
    return ["## References", "", *(f"- {ref}" for ref in refs), ""]
