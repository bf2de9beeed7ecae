"""User text leaving the program: Markdown, HTML, LaTeX and matplotlib text, escaped once.

Firm labels, rep ids and the survey's file name come from the user's files and reach
every output. Each format has one escaping function (:mod:`leadblackhole.tables_text`);
the tests read the outputs as their consumers do, independently of those functions:
Markdown through a CommonMark renderer (markdown-it-py, as an HTML-capable viewer shows
it) and Python-Markdown, HTML through ``html.parser`` (entities resolved, as a browser
does), LaTeX through a small checker of its special characters, matplotlib text through
the SVG matplotlib writes. A property test (hypothesis) sends arbitrary Unicode names
through ``simulate -> validate -> measure -> fit -> figures -> report``.
"""

from __future__ import annotations

import io
import json
import os
import re
import unicodedata
import urllib.parse
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import markdown
import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

matplotlib.use("Agg")

from leadblackhole import cli  # noqa: E402
from leadblackhole.reporting.replication_report import build_report  # noqa: E402
from leadblackhole.simulation import StudyDesign, simulate  # noqa: E402
from leadblackhole.tables_text import (  # noqa: E402
    html_escape,
    md_escape,
    mpl_escape,
    table_to_csv,
    table_to_latex,
    table_to_markdown,
    tex_escape,
)

#: The names of the issue: HTML, an ampersand, math text, a pipe, emphasis.
HOSTILE = ("<img src=x onerror=alert(1)>", "Smith & Sons", r"$\undefinedcmd{x}$", "a|b", "**bold**")


def norm(text: str) -> str:
    """Text as a reader compares it: runs of white space (a line break, a tab) as one space."""
    return " ".join(str(text).split())


def shown(text: str) -> str:
    """How text is shown in Markdown, HTML and LaTeX: control characters as spaces."""
    return norm("".join(" " if unicodedata.category(c) == "Cc" else c for c in str(text)))


# ----------------------------------------------------------------------------
# reading the outputs as their consumers do
# ----------------------------------------------------------------------------
#: What the package's own Markdown and HTML produce (tags and attributes): anything else
#: in a rendered page came from user text.
PROGRAM_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "ul", "li",
    "table", "thead", "tbody", "tr", "th", "td", "strong", "em", "code", "img",
}  # fmt: skip
PROGRAM_ATTRIBUTES = {
    ("html", "lang"), ("meta", "charset"), ("meta", "name"), ("meta", "content"),
    ("img", "src"), ("img", "alt"), ("td", "style"), ("th", "style"),
}  # fmt: skip

COMMONMARK = MarkdownIt("commonmark").enable("table").enable("strikethrough")


class Page(HTMLParser):
    """A rendered page: its tags, attributes, table cells (by table) and text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.tables: list[list[list[str]]] = []
        self.texts: list[str] = []
        self._cell: list[str] | None = None
        self._in_style = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(norm("".join(self._cell)))
            self._cell = None
        self._in_style = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if not self._in_style:
            self.texts.append(data)

    @property
    def text(self) -> str:
        return norm("".join(self.texts))

    def cells(self) -> set[str]:
        return {c for table in self.tables for row in table for c in row}

    def column(self, header: str) -> list[str]:
        """The cells under ``header`` in every table that has it."""
        out = []
        for table in self.tables:
            if table and header in table[0]:
                j = table[0].index(header)
                out += [row[j] for row in table[1:] if len(row) > j]
        return out


def assert_inert(page: Page, where: str) -> None:
    """Only the package's own tags and attributes; images are the figures."""
    for tag, attrs in page.tags:
        assert tag in PROGRAM_TAGS, f"{where}: a <{tag}> tag that the package does not write"
        for name, value in attrs.items():
            assert (tag, name) in PROGRAM_ATTRIBUTES, f"{where}: <{tag} {name}=...>"
            if tag == "img" and name == "src":
                assert value.startswith("data:image/png;base64,") or (
                    ":" not in value and value.endswith(".png")
                ), f"{where}: image source {value[:80]!r}"


def markdown_pages(text: str, where: str) -> list[Page]:
    """``text`` as a CommonMark viewer and as Python-Markdown show it, both checked inert."""
    pages = [
        Page(COMMONMARK.render(text)),
        Page(markdown.markdown(text, extensions=["tables"])),
    ]
    for page in pages:
        assert_inert(page, where)
    return pages


#: LaTeX commands the package writes; a user's backslash must never start another.
TEX_COMMANDS = {
    "begin", "end", "toprule", "midrule", "bottomrule", "caption", "label", "centering",
    "multicolumn", "footnotesize", "linewidth", "textbackslash", "textasciitilde",
    "textasciicircum", "textless", "textgreater", "textbar",
}  # fmt: skip


def _tabular_columns(spec: str) -> int:
    """Columns of a ``tabular`` specification such as ``llp{0.34\\linewidth}lrll``."""
    return len(re.findall(r"[lcr]|p\{[^}]*\}", re.sub(r"p\{[^}]*\}", "p{}", spec)))


def assert_valid_tex(text: str, where: str) -> None:
    """No special character of LaTeX is left unescaped in ``text`` (a table file).

    Read independently of :func:`tex_escape`: every backslash starts an escaped special
    character, a line break ``\\\\`` or one of :data:`TEX_COMMANDS`; outside math mode no
    ``# % ^ _ ~`` and no control character; braces balance; ``$`` pairs on each line; each
    row of a ``tabular`` has as many cells as its specification has columns.
    """
    specials_outside_math = set("#%^_~")
    depth, columns = 0, None
    for lineno, line in enumerate(text.splitlines(), 1):
        here = f"{where}, line {lineno}: {line[:120]!r}"
        m = re.match(r"\\begin\{tabular\}\{(.*)\}$", line.strip())
        if m:
            columns = _tabular_columns(m.group(1))
        math, ampersands, i = False, 0, 0
        while i < len(line):
            ch = line[i]
            if ch == "\\":
                nxt = line[i + 1 : i + 2]
                if nxt and nxt in "\\&%$#_{} ":
                    i += 2
                    continue
                name = re.match(r"[A-Za-z]+", line[i + 1 :])
                assert name and name.group(0) in TEX_COMMANDS, (
                    f"{here}: command {line[i : i + 20]!r}"
                )
                i += 1 + len(name.group(0))
                continue
            assert unicodedata.category(ch) != "Cc", f"{here}: control character {ch!r}"
            if ch == "$":
                math = not math
            elif ch == "&":
                ampersands += 1
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                assert depth >= 0, f"{here}: unbalanced brace"
            elif not math:
                assert ch not in specials_outside_math, f"{here}: unescaped {ch!r}"
            i += 1
        assert not math, f"{here}: unpaired $"
        if columns and line.rstrip().endswith("\\\\") and "\\multicolumn" not in line:
            assert ampersands == columns - 1, f"{here}: {ampersands + 1} cells for {columns}"
    assert depth == 0, f"{where}: unbalanced braces"


def svg_texts(draw) -> list[str]:
    """The text elements of a figure, from the SVG matplotlib writes with text as text."""
    from matplotlib.figure import Figure

    fig = Figure()
    draw(fig)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "text.usetex": False}):
        fig.savefig(buf, format="svg")
    root = ET.fromstring(buf.getvalue())
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


# ----------------------------------------------------------------------------
# each escaping function, by hand
# ----------------------------------------------------------------------------
def test_markdown_escape_of_the_issues_names_by_hand():
    assert [md_escape(n) for n in HOSTILE] == [
        "&lt;img src=x onerror=alert(1)&gt;",
        "Smith &amp; Sons",
        r"&#36;\\undefinedcmd{x}&#36;",
        r"a\|b",
        r"\*\*bold\*\*",
    ]
    # a typed entity is shown as typed, not resolved: the & is escaped like any other
    assert md_escape("AT&amp;T") == "AT&amp;amp;T"
    assert (
        md_escape("~~x~~ [a](b) `c` #1\nnext")
        == r"&#126;&#126;x&#126;&#126; \[a\](b) \`c\` \#1 next"
    )


def test_latex_escape_of_the_issues_names_by_hand():
    assert [tex_escape(n) for n in HOSTILE] == [
        r"\textless{}img src=x onerror=alert(1)\textgreater{}",
        r"Smith \& Sons",
        r"\$\textbackslash{}undefinedcmd\{x\}\$",
        r"a\textbar{}b",
        "**bold**",
    ]
    # a line break would end a table cell's paragraph; a control character is refused by TeX
    assert tex_escape("50%\n\n_x_\x07^~#") == r"50\%  \_x\_ \textasciicircum{}\textasciitilde{}\#"


def test_html_escape_of_the_issues_names_by_hand():
    assert html_escape(HOSTILE[0]) == "&lt;img src=x onerror=alert(1)&gt;"
    assert html_escape(HOSTILE[1]) == "Smith &amp; Sons"
    assert html_escape("\"'") == "&quot;&#x27;"


def test_matplotlib_shows_the_issues_names_as_written():
    """Drawn through the escape, each name is one text element that reads as written."""
    for name in HOSTILE:
        assert svg_texts(lambda fig, n=name: fig.text(0.5, 0.5, mpl_escape(n))) == [name]
    # without the escape the math parser stops the drawing (the crash of `figures`)
    with pytest.raises(ValueError, match="undefinedcmd"):
        svg_texts(lambda fig: fig.text(0.5, 0.5, HOSTILE[2]))
    # invisible format characters are left out, control characters and line breaks are spaces
    assert mpl_escape("a\ufeffb\u202ec\nd\x07e") == "abc d e"


# ----------------------------------------------------------------------------
# the same, for any text
# ----------------------------------------------------------------------------
#: Any text a survey cell or a file name can hold (no NUL, no lone surrogate).
ANY_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=16
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(ANY_TEXT)
def test_markdown_escape_shows_any_text_as_written_and_inert(text):
    """In a sentence and in a table cell, under both renderers: the text, and no markup."""
    sentence = f"Firm {md_escape(text)} here."
    for page in markdown_pages(sentence, repr(text)):
        assert page.text == norm(f"Firm {shown(text)} here."), repr(text)
    table = f"| a | b |\n|:---|:---|\n| {md_escape(text)} | z |\n"
    for page in markdown_pages(table, repr(text)):
        assert page.tables == [[["a", "b"], [shown(text), "z"]]], repr(text)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(ANY_TEXT)
def test_latex_escape_leaves_no_special_character(text):
    escaped = tex_escape(text)
    assert_valid_tex(f"\\begin{{tabular}}{{ll}}\n{escaped} & x \\\\\n\\end{{tabular}}", "cell")
    # and it reads back: each escape stands for its one character
    decode = {
        r"\textbackslash{}": "\\", r"\textasciitilde{}": "~", r"\textasciicircum{}": "^",
        r"\textless{}": "<", r"\textgreater{}": ">", r"\textbar{}": "|", "$-$": "\u2212",
    }  # fmt: skip
    pattern = "|".join(re.escape(k) for k in decode) + r"|\\[&%$#_{}]"
    back = re.sub(pattern, lambda m: decode.get(m.group(0), m.group(0)[1:]), escaped)
    lines = " ".join(text.splitlines())
    assert back == "".join(" " if unicodedata.category(c) == "Cc" else c for c in lines)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    st.text(
        st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=12
    ).filter(str.strip)
)
def test_matplotlib_escape_shows_any_text_as_written(text):
    """Any visible one-line text (a firm label, stripped as the loader strips it)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a glyph missing from the font
        texts = svg_texts(lambda fig: fig.text(0.5, 0.5, mpl_escape(text)))
    assert texts == [text]


# ----------------------------------------------------------------------------
# tables and the report
# ----------------------------------------------------------------------------
def test_markdown_tables_show_text_that_looks_like_a_number_as_written():
    md = table_to_markdown(pd.DataFrame({"firm": ["007", "1e3"], "n": [1.0, 2.0]}))
    assert re.search(r"\| 007 +\|", md) and re.search(r"\| 1e3 +\|", md) and "| 1.000 |" in md


def test_csv_tables_read_back_a_carriage_return_in_a_label():
    """The csv writer leaves a lone \\r unquoted under \\n line ends; the table quotes it."""
    df = pd.DataFrame({"firm": ["a\rb", "Smith & Sons"], "n": [1.0, 2.5]})
    back = pd.read_csv(io.StringIO(table_to_csv(df)), dtype=str, keep_default_na=False)
    assert back.to_dict("list") == {"firm": ["a\rb", "Smith & Sons"], "n": ["1", "2.5"]}
    # any other table is written as before: quoted only where needed
    assert table_to_csv(df.iloc[1:]) == "firm,n\nSmith & Sons,2.5\n"


def test_latex_tables_escape_cells_headers_and_caption():
    df = pd.DataFrame({"firm & co": list(HOSTILE), "n": [1.0, 2.0, 3.0, 4.0, 5.0]})
    tex = table_to_latex(df, caption="50% of $x$ & more")
    assert_valid_tex(tex, "table")
    assert r"\caption{50\% of \$x\$ \& more}" in tex
    assert r"\$\textbackslash{}undefinedcmd\{x\}\$ & 3.000 \\" in tex


def _descriptives(groups):
    return pd.DataFrame(
        {
            "group": ["all", *groups],
            "variable": "prequal",
            "n": 10.0,
            "mean": 4.0,
            "sd": 1.0,
            "min": 1.0,
            "max": 7.0,
        }
    )


def test_report_shows_labels_once_escaped_in_markdown_and_html(tmp_path):
    res, figs = tmp_path / "results", tmp_path / "figures"
    (res / "measurement").mkdir(parents=True)
    figs.mkdir()
    names = [*HOSTILE, "AT&amp;T", "NA", "True", "007"]
    _descriptives(names).to_csv(res / "measurement" / "descriptives.csv", index=False)
    build_report(res, figs).commit()
    md = (res / "report.md").read_text()
    assert "<img" not in md and "&amp;amp;T" in md
    for page in markdown_pages(md, "report.md"):
        assert set(page.column("Group")) == {"all", *names}
    html = Page((res / "report.html").read_text())
    assert_inert(html, "report.html")
    assert set(html.column("Group")) == {"all", *names}  # once: "Smith & Sons", "AT&amp;T"


def test_report_links_figures_in_a_folder_with_any_name(tmp_path):
    import matplotlib.pyplot as plt

    res, figs = tmp_path / "results", tmp_path / "my figs (1) <b>&"
    res.mkdir()
    figs.mkdir()
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    fig.savefig(figs / "effects.png")
    plt.close(fig)
    build_report(res, figs).commit()
    md = (res / "report.md").read_text()
    assert "<b>" not in md
    for page in markdown_pages(md, "report.md"):
        srcs = [a["src"] for t, a in page.tags if t == "img"]
        assert len(srcs) == 1 and (res / urllib.parse.unquote(srcs[0])).is_file()
    html = Page((res / "report.html").read_text())
    srcs = [a["src"] for t, a in html.tags if t == "img"]
    assert len(srcs) == 1 and srcs[0].startswith("data:image/png;base64,")


def test_the_box_plots_label_firms_as_written():
    from leadblackhole.reporting.figures.shares import plot_shares_by_firm

    rng = np.random.default_rng(3)
    raw = pd.DataFrame({"firm": np.repeat(HOSTILE, 4)})
    shares = rng.dirichlet([2.0, 2.0, 2.0], size=len(raw))
    raw[["marketing", "self", "other"]] = shares
    fig = plot_shares_by_firm(SimpleNamespace(data=raw, raw=raw))
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    texts = ["".join(t.itertext()) for t in ET.fromstring(buf.getvalue()).iter()
             if t.tag == "{http://www.w3.org/2000/svg}text"]  # fmt: skip
    for name in HOSTILE:
        assert texts.count(name) == 3  # one tick label under each of the three panels


# ----------------------------------------------------------------------------
# the whole pipeline
# ----------------------------------------------------------------------------
def write_survey(root: Path, firms, rep_id, survey_name: str, n_reps=60, seed=5) -> dict:
    """A simulated survey with its firms renamed and rep ids rewritten (own data: no marker).

    ``firms`` replaces the simulated labels in order (cycled); ``rep_id(i, firm)`` gives the
    i-th rep's id. Returns what the outputs should show (stripped, as the loader reads).
    """
    k = len(firms)
    design = StudyDesign.for_firms(max(k, 2), n_reps=n_reps, n_zero_marketing=3)
    survey = simulate(design, seed=seed).survey.copy()
    labels = sorted(survey["firm"].unique())
    survey["firm"] = survey["firm"].map({lab: firms[j % k] for j, lab in enumerate(labels)})
    survey["rep_id"] = [rep_id(i, f) for i, f in enumerate(survey["firm"])]
    path = root / "data" / survey_name
    path.parent.mkdir(parents=True)
    path.write_text(table_to_csv(survey), encoding="utf-8")
    zero = survey["pct_marketing"] == 0
    return {
        "path": path,
        "firms": {f.strip() for f in firms},
        "rep_ids": {r.strip() for r in survey["rep_id"]},
        "excluded": {r.strip() for r in survey.loc[zero, "rep_id"]},
    }


def run_commands(root: Path, survey: Path) -> None:
    """validate -> measure -> fit -> figures -> report in ``root``, each exiting 0."""
    old = os.getcwd()
    os.chdir(root)
    try:
        s = str(survey)
        for argv in (
            ["validate", s, "--out", "results"],
            ["measure", s, "--out", "results/measurement"],
            ["fit", s, "--out", "results/models"],
            ["figures", s, "--out", "figures"],
            ["report", "--results", "results", "--figures", "figures"],
        ):
            assert cli.main(argv) == 0, argv
    finally:
        os.chdir(old)


def check_outputs(root: Path, expected: dict) -> None:
    """Every output valid and inert, every name shown once escaped."""
    res, firms = root / "results", expected["firms"]
    shown_firms = {shown(f) for f in firms}
    # CSV and JSON hold the names as written
    desc = pd.read_csv(res / "measurement" / "descriptives.csv", dtype=str, keep_default_na=False)
    assert set(desc["group"]) == {"all"} | firms
    assert set(json.loads((res / "models" / "sample.json").read_text())["firms"]) == firms
    excl = pd.read_csv(res / "exclusions.csv", dtype=str, keep_default_na=False)
    assert set(excl["rep_id"]) == expected["excluded"]
    source = json.loads((res / "models" / "data_source.json").read_text())
    assert source["survey"] == expected["path"].name
    # every Markdown file, as a viewer renders it
    for path in sorted(res.rglob("*.md")):
        markdown_pages(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    for page in markdown_pages((res / "measurement" / "descriptives.md").read_text(), "desc"):
        assert set(page.column("group")) == {"all"} | shown_firms
    validation = markdown_pages((res / "validation.md").read_text(), "validation.md")
    for page in validation:
        ids = page.column("rep_id")
        assert ids and set(ids) <= {shown(r) for r in expected["rep_ids"]}
    # the report, in Markdown and in HTML: every firm in its cells, the survey named once
    pages = markdown_pages((res / "report.md").read_text(), "report.md")
    pages.append(Page((res / "report.html").read_text(encoding="utf-8")))
    assert_inert(pages[-1], "report.html")
    for page in pages:
        assert {"all"} | shown_firms <= page.cells()
        assert shown(expected["path"].name) in page.text
    # every LaTeX table
    for path in sorted(res.rglob("*.tex")):
        assert_valid_tex(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    # the figures were drawn (a firm named like math text no longer stops them)
    assert (root / "figures" / "shares_by_firm.png").stat().st_size > 0
    assert (root / "figures" / "shares_by_firm.pdf").stat().st_size > 0


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """The issue's names as firms, in the rep ids and in the survey's file name."""
    root = tmp_path_factory.mktemp("hostile")
    expected = write_survey(
        root,
        HOSTILE,
        lambda i, firm: f"{firm} #{i}",
        "survey <i>&amp; $x$ | *b*.csv",
        n_reps=90,
    )
    run_commands(root, expected["path"])
    return root, expected


def test_the_issues_names_pass_through_the_pipeline_escaped(hostile_run):
    root, expected = hostile_run
    check_outputs(root, expected)


def test_the_issues_names_in_report_md_by_hand(hostile_run):
    """What report.md holds for each name, written out (not computed by the escape)."""
    root, _ = hostile_run
    md = (root / "results" / "report.md").read_text()
    for raw, escaped in [
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("Smith & Sons", "Smith &amp; Sons"),
        (r"$\undefinedcmd{x}$", r"&#36;\\undefinedcmd{x}&#36;"),
        ("a|b", r"a\|b"),
        ("**bold**", r"\*\*bold\*\*"),
    ]:
        assert escaped in md and raw not in md, raw
    html = (root / "results" / "report.html").read_text()
    assert "Smith &amp; Sons" in html and "Smith &amp;amp; Sons" not in html
    tex = (root / "results" / "measurement" / "descriptives.tex").read_text()
    assert r"\$\textbackslash{}undefinedcmd\{x\}\$" in tex and r"Smith \& Sons" in tex


#: Firm labels: any text with something besides white space (an empty cell is missing).
FIRM = ANY_TEXT.filter(lambda s: s.strip() and s.strip() != "all")


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    # each example runs the whole pipeline: a failure is reported as found, not shrunk
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    firms=st.lists(FIRM, min_size=2, max_size=3, unique_by=str.strip),
    rep_token=ANY_TEXT,
    file_stem=st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00/"),
        min_size=1,
        max_size=20,
    ),
)
def test_any_names_pass_through_the_pipeline_valid_and_inert(
    tmp_path_factory, firms, rep_token, file_stem
):
    """Arbitrary Unicode firm labels, rep ids and file name: every output valid and inert."""
    root = tmp_path_factory.mktemp("names")
    expected = write_survey(
        root, firms, lambda i, firm: f"{rep_token}{i:03d}", f"{file_stem}.csv", n_reps=40
    )
    run_commands(root, expected["path"])
    check_outputs(root, expected)


def test_terminal_messages_escape_control_characters(tmp_path, capsys):
    from leadblackhole import cli
    from leadblackhole.cli_runner import terminal_text

    assert terminal_text("a\x1b[2Jb\rc\u202eZ\nnext\tcol") == "a\\x1b[2Jb\\rc\\u202eZ\nnext\tcol"
    assert terminal_text("Smith & Sons, Zürich 7–9") == "Smith & Sons, Zürich 7–9"
    missing = tmp_path / "survey\x1b[31m.csv"
    assert cli.main(["validate", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "survey\\x1b[31m.csv" in err
