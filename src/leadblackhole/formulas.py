"""Formulas read by a small grammar of their own, before any formula library sees them.

`formulaic` evaluates Python inside ``I(...)``, ``{...}`` and function calls,
so a formula typed by a user (``--precision``) or passed to
``DirichletRegression.from_formula`` could run code. :func:`checked_formula`
therefore reads the right side of a formula with the grammar below and
returns it rewritten from its tokens; only that rewritten text reaches
`formulaic`. Anything outside the grammar raises :class:`FormulaError`
naming the token, before any data are touched.

Grammar (white space between tokens is free)::

    formula := sum
    sum     := product (("+" | "-") product)*
    product := factor ((":" | "*") factor)*
    factor  := NAME | "0" | "1" | "(" sum ")" | "I" "(" NAME "**" INTEGER ")"

``NAME`` is one of the names allowed by the caller (the model variables on
the command line, the data's columns in the library); ``INTEGER`` is a power
from 2 to 9. ``0`` and ``1`` are the intercept terms (``- 1`` drops it).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from .exceptions import FormulaError

__all__ = ["FORMULA_SYMBOLS", "MAX_DEPTH", "MAX_LENGTH", "checked_formula"]

#: What a formula may hold besides the allowed names, for the error messages.
FORMULA_SYMBOLS = "variable names, 0, 1, +, -, :, *, parentheses and I(name ** k) for k in 2..9"

#: Longest formula read (characters); a longer one is refused, not parsed.
MAX_LENGTH = 2000

#: Deepest nesting of parentheses read.
MAX_DEPTH = 20

_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>[0-9]+)|(?P<op>\*\*|[-+:*()]))"
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokens(text: str, what: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].lstrip()[:1]
            at = len(text) - len(text[pos:].lstrip())
            raise FormulaError(
                f"the {what} formula {text!r} is not allowed: character {bad!r} at position "
                f"{at + 1}; a formula holds {FORMULA_SYMBOLS}"
            )
        kind = match.lastgroup or "op"
        out.append(_Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return out


class _Parser:
    """Recursive descent over the tokens; each rule returns its canonical text."""

    def __init__(self, text: str, tokens: list[_Token], names: Collection[str], what: str):
        self.text, self.tokens, self.names, self.what = text, tokens, names, what
        self.i = 0
        self.depth = 0

    def fail(self, token: _Token | None, expected: str) -> FormulaError:
        head = f"the {self.what} formula {self.text!r} is not allowed"
        if token is None:
            return FormulaError(f"{head}: it ends where {expected} was expected")
        return FormulaError(
            f"{head}: {token.text!r} at position {token.pos + 1} where {expected} was "
            f"expected; a formula holds {FORMULA_SYMBOLS}"
        )

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, text: str | None = None, kind: str | None = None, expected: str = "") -> _Token:
        token = self.peek()
        if (
            token is None
            or (text is not None and token.text != text)
            or (kind is not None and token.kind != kind)
        ):
            raise self.fail(token, expected or repr(text))
        self.i += 1
        return token

    def name(self, token: _Token) -> str:
        if token.text not in self.names:
            allowed = ", ".join(sorted(self.names)) or "none"
            raise FormulaError(
                f"the {self.what} formula {self.text!r} is not allowed: {token.text!r} at "
                f"position {token.pos + 1} is not a variable of the model (allowed: {allowed})"
            )
        return token.text

    def sum(self) -> str:
        parts = [self.product()]
        while (token := self.peek()) is not None and token.text in "+-" and token.kind == "op":
            self.i += 1
            parts.append(f" {token.text} {self.product()}")
        return "".join(parts)

    def product(self) -> str:
        parts = [self.factor()]
        while (token := self.peek()) is not None and token.text in (":", "*"):
            self.i += 1
            parts.append(":" if token.text == ":" else " * ")
            parts.append(self.factor())
        return "".join(parts)

    def factor(self) -> str:
        expected = "a variable name, 0, 1, '(' or I(name ** k)"
        token = self.peek()
        if token is None:
            raise self.fail(None, expected)
        if token.kind == "number":
            if token.text not in ("0", "1"):
                raise self.fail(token, expected)
            self.i += 1
            return token.text
        if token.text == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FormulaError(
                    f"the {self.what} formula {self.text!r} nests parentheses deeper than "
                    f"{MAX_DEPTH} levels"
                )
            self.i += 1
            inner = self.sum()
            self.take(")", expected="')'")
            self.depth -= 1
            return f"({inner})"
        if token.kind != "name":
            raise self.fail(token, expected)
        self.i += 1
        nxt = self.peek()
        if token.text == "I" and nxt is not None and nxt.text == "(":
            self.i += 1
            var = self.name(self.take(kind="name", expected="a variable name inside I(...)"))
            self.take("**", expected="'**' inside I(...)")
            power = self.take(kind="number", expected="a power from 2 to 9")
            if power.text not in tuple("23456789"):
                raise self.fail(power, "a power from 2 to 9")
            self.take(")", expected="')'")
            return f"I({var} ** {power.text})"
        return self.name(token)


def checked_formula(text: object, names: Collection[str], what: str = "model") -> str:
    """The right side of a formula, checked against the package's grammar and rewritten.

    Parameters
    ----------
    text : str
        The right side of a formula, for example ``"firm + experience"``.
    names : collection of str
        The variable names the formula may use.
    what : str
        What the formula describes, used in the messages (``"precision"``).

    Returns
    -------
    str
        The formula rebuilt from its tokens (one space around ``+``, ``-`` and
        ``*``, none around ``:``); only this text is handed to `formulaic`.

    Raises
    ------
    FormulaError
        When ``text`` is not a string, is empty or too long, holds a
        character or a token outside the grammar (the message names it and
        its position) or names a variable outside ``names``.

    Examples
    --------
    >>> checked_formula("firm+experience:prequal", {"firm", "experience", "prequal"})
    'firm + experience:prequal'
    >>> checked_formula("x + I(x**2) - 1", {"x"})
    'x + I(x ** 2) - 1'
    """
    if not isinstance(text, str):
        raise FormulaError(f"the {what} formula must be a string; received {text!r}")
    if not text.strip():
        raise FormulaError(f"the {what} formula is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"the {what} formula is {len(text)} characters long; at most {MAX_LENGTH} are read"
        )
    parser = _Parser(text, _tokens(text, what), frozenset(names), what)
    out = parser.sum()
    if parser.peek() is not None:
        raise parser.fail(parser.peek(), "'+', '-', ':', '*' or the end")
    return out
