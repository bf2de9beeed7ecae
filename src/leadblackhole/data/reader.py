"""Reading a survey file into a table, without interpreting its values.

:func:`read_table` reads CSV, Excel ``.xlsx``, Parquet, Stata ``.dta`` and
SPSS ``.sav`` files as they were written: a CSV file as text (every cell a
string, empty cells missing), a workbook's first sheet with the cells' own
types. What the reader cannot take (an unsupported or disguised file type, a
file that is empty, binary or not UTF-8, a row with the wrong number of
fields, a header that seems delimited by ``;``, a column without a name, a
formula without a saved value) is raised as a
:class:`~leadblackhole.exceptions.SurveyValidationError`. Checking the table
against the input contract is :mod:`leadblackhole.data.loader`'s job. The
file is only ever opened for reading.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ..exceptions import Problem, SurveyValidationError

__all__ = ["SUPPORTED_SUFFIXES", "read_table"]

#: File suffix -> the reader of :func:`read_table`.
SUPPORTED_SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".dta": "stata",
    ".sav": "spss",
    ".zsav": "spss",
    ".xlsx": "xlsx",
}

#: File types refused with a hint on how to save them in a readable form.
_SAVE_AS_HINTS: dict[str, str] = {
    ".xls": "an Excel 97-2003 workbook (.xls) cannot be read; open it in the spreadsheet "
    "program and save it as Excel Workbook (.xlsx) or as CSV (comma delimited)",
    ".ods": "an OpenDocument spreadsheet (.ods) cannot be read; save it as Excel Workbook "
    "(.xlsx) or as CSV (comma delimited)",
}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a survey file into a DataFrame without interpreting it.

    CSV files are read as text (every cell a string, empty cells missing) so
    that non-numeric values can be reported as they were written.

    Parameters
    ----------
    path : path-like
        ``.csv``/``.txt``, ``.xlsx``, ``.parquet``/``.pq``, ``.dta`` or
        ``.sav``/``.zsav``. An ``.xlsx`` workbook is read from its first sheet,
        header in the first non-empty row, as :func:`_read_xlsx` describes.

    Returns
    -------
    DataFrame

    Raises
    ------
    SurveyValidationError
        If the file is missing, empty, binary where text is expected, of an
        unsupported type, or cannot be parsed.
    """
    path = Path(path)
    name = path.name

    def fail(rule: str):
        raise SurveyValidationError([Problem(None, None, None, rule)], source=name)

    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if path.suffix.lower() in _SAVE_AS_HINTS:
        fail(_SAVE_AS_HINTS[path.suffix.lower()])
    if kind is None:
        fail(
            f"unsupported file type '{path.suffix}'; expected one of "
            f"{', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    if path.is_dir():
        fail("this is a folder, not a survey file; give the path of the file")
    if not path.is_file():
        fail("file not found")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        fail(
            f"the file cannot be read ({exc.strerror or exc}); check its permissions "
            "(for example chmod u+r)"
        )
    if not raw.strip():
        fail("the file is empty")
    try:
        if kind == "csv":
            if b"\x00" in raw[:65536]:
                fail("the file is binary, not CSV text")
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                fail("the file is not UTF-8 text (save the CSV as UTF-8)")
            return _read_csv_text(text, name)
        if kind == "parquet":
            return pd.read_parquet(io.BytesIO(raw))
        if kind == "xlsx":
            return _read_xlsx(raw, name)
        import pyreadstat  # local import: only needed for Stata/SPSS

        reader = pyreadstat.read_dta if kind == "stata" else pyreadstat.read_sav
        df, _meta = reader(str(path))
        return df
    except SurveyValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is a problem with the file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"the file cannot be read as {kind}: {first}")
    raise AssertionError("unreachable")  # pragma: no cover


#: Rows with a wrong number of fields listed in full before the rest are counted.
_MAX_ROWS_LISTED = 20


_MISSING = float("nan")


def _read_csv_text(text: str, source: str) -> pd.DataFrame:
    """Parse CSV text with the csv module, checking that every row has the header's fields.

    pandas would take a first row with an extra field as an index (shifting every
    column) and fill a truncated row with missing values; here both are problems
    reported with their row. Blank lines are skipped; every cell is text, empty
    cells missing.
    """
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    problems: list[Problem] = []
    n_bad = 0
    try:
        for fields in reader:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if header is None:
                header = fields
                _delimiter_hint(header, source)
                continue
            # an empty or blank cell is missing (NaN), like pandas.read_csv's
            rows.append([f if f.strip() else _MISSING for f in fields])
            if len(fields) != len(header):
                n_bad += 1
                if n_bad > _MAX_ROWS_LISTED:
                    continue
                row, line = len(rows), reader.line_num
                if len(fields) > len(header):
                    rule = (
                        f"the row has {len(fields)} fields but the header has {len(header)} "
                        f"(line {line} of the file; an unquoted delimiter inside a value?)"
                    )
                else:
                    rule = (
                        f"the row is truncated: {len(fields)} of the header's {len(header)} "
                        f"fields (line {line} of the file)"
                    )
                problems.append(Problem(row, None, None, rule))
    except csv.Error as exc:
        raise SurveyValidationError(
            [Problem(None, None, None, f"the file cannot be read as csv: {exc}")], source=source
        ) from None
    if header is None:
        raise SurveyValidationError([Problem(None, None, None, "the file is empty")], source)
    if problems:
        if n_bad > _MAX_ROWS_LISTED:
            rule = f"{n_bad - _MAX_ROWS_LISTED} more rows with a wrong number of fields"
            problems.append(Problem(None, None, None, rule))
        raise SurveyValidationError(problems, source=source)
    df = pd.DataFrame(rows, columns=range(len(header)), dtype=object)
    df.columns = header  # kept as written: duplicates are reported by the validation
    return df


#: First bytes of an OLE2 compound file: an .xls workbook, or an encrypted .xlsx.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_xlsx(raw: bytes, source: str) -> pd.DataFrame:
    """Read the first sheet of an ``.xlsx`` workbook as the CSV reader reads a file.

    The first non-empty row is the header, every later non-empty row a data
    row (blank rows are skipped, as blank lines of a CSV file); cells keep
    their Excel type (numbers, text, dates: a date in a numeric column is
    reported as not a number), empty cells and cells of spaces are missing.
    Formulas are read as the value the spreadsheet program last saved; a
    formula without a saved value (a workbook written by a script and never
    opened) is a problem, not a silent missing value. A column holding values
    under an empty header cell is a problem; header names are kept as written
    so that a name used twice is reported by the validation.

    Raises
    ------
    SurveyValidationError
        If the workbook is encrypted or an .xls in disguise, is no valid
        ``.xlsx``, its first sheet is empty, or it holds the problems above.
    """
    from openpyxl import load_workbook  # local import: only needed for Excel files
    from openpyxl.utils import get_column_letter

    def fail(rule: str, problems: list[Problem] | None = None):
        raise SurveyValidationError(problems or [Problem(None, None, None, rule)], source=source)

    if raw.startswith(_OLE2_MAGIC):
        fail(
            "the file is not an .xlsx workbook but an old Excel 97-2003 (.xls) file or a "
            "password-protected workbook; remove the password and save it as Excel Workbook "
            "(.xlsx) or as CSV"
        )
    try:
        values = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        formulas = (
            load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
            if _has_formulas(raw)
            else None
        )
    except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(
            f"the file cannot be read as an Excel workbook (.xlsx): {first}; save it from "
            "the spreadsheet program as Excel Workbook (.xlsx) or as CSV"
        )
    sheet = values.worksheets[0]  # a workbook without worksheets does not load
    blank = lambda v: v is None or (isinstance(v, str) and not v.strip())  # noqa: E731
    rows = []  # (sheet row number, cells)
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        if not all(blank(v) for v in cells):
            rows.append((number, [None if blank(v) else v for v in cells]))
    values.close()
    if not rows:
        fail("the file is empty (its first sheet holds no cells)")
    width = max(max(i for i, v in enumerate(cells) if v is not None) + 1 for _, cells in rows)
    header = rows[0][1] + [None] * (width - len(rows[0][1]))
    body = [cells + [None] * (width - len(cells)) for _, cells in rows[1:]]
    problems: list[Problem] = []
    keep = []
    for j in range(width):
        if header[j] is not None:
            keep.append(j)
        elif any(cells[j] is not None for cells in body):
            rule = (
                f"column {get_column_letter(j + 1)} of the sheet holds values but has no name "
                f"in the header (row {rows[0][0]} of the sheet); name it or delete it"
            )
            problems.append(Problem(None, None, None, rule))
    if formulas is not None:
        problems += _unsaved_formulas(formulas.worksheets[0], rows, sheet.title)
        formulas.close()
    if problems:
        fail("", problems)
    df = pd.DataFrame([[cells[j] for j in keep] for cells in body], dtype=object)
    df = df.reindex(columns=range(len(keep)))  # a header without data rows keeps its columns
    df.columns = [str(header[j]) for j in keep]
    return df


def _has_formulas(raw: bytes) -> bool:
    """Whether any worksheet of the workbook holds a formula (an ``<f>`` element).

    A cheap scan of the decompressed sheet XML that spares the second read of
    the workbook (formulas as written) for the usual survey without formulas.
    """
    import zipfile

    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = z.read(name)
                if b"<f>" in xml or b"<f " in xml or b":f>" in xml or b":f " in xml:
                    return True
    return False


def _unsaved_formulas(sheet, rows: list, title: str) -> list[Problem]:
    """Formula cells whose value was never saved (read as empty with ``data_only``)."""
    data_rows = {number: i for i, (number, _) in enumerate(rows)}
    problems: list[Problem] = []
    n_found = 0
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        for j, v in enumerate(cells):
            if not (isinstance(v, str) and v.startswith("=")):
                continue
            i = data_rows.get(number)
            saved = None if i is None or j >= len(rows[i][1]) else rows[i][1][j]
            if saved is not None:
                continue
            n_found += 1
            if n_found <= _MAX_ROWS_LISTED:
                rule = (
                    f"the formula {v} in cell {_cell_name(j, number)} of sheet '{title}' has "
                    "no saved value; open the workbook in a spreadsheet program and save it"
                )
                problems.append(Problem(None, None, None, rule))
    if n_found > _MAX_ROWS_LISTED:
        rule = f"{n_found - _MAX_ROWS_LISTED} more formulas without a saved value"
        problems.append(Problem(None, None, None, rule))
    return problems


def _cell_name(j: int, number: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(j + 1)}{number}"


def _delimiter_hint(header: list[str], source: str) -> None:
    """Stop with a hint when the header looks delimited by ';' or a tab instead of ','."""
    if len(header) > 1:
        return
    for sep, label in ((";", "';'"), ("\t", "a tab")):
        if header[0].count(sep) >= 2:
            rule = (
                f"the file seems to use {label} as delimiter, not ','; save it as "
                "comma-separated CSV (in a spreadsheet: CSV, comma delimited)"
            )
            raise SurveyValidationError([Problem(None, None, None, rule)], source=source)
