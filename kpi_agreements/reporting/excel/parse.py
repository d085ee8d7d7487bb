"""Reading an uploaded round workbook into rows, with every problem found in the cells themselves (sheet,
row, column); what needs the database (which KPI, whose, the result's range) is ``services.results_import``.

Bounded like the KPI Template upload (agreements.excel.parse, whose pieces are reused): at most
MAX_UPLOAD_BYTES, an xlsx by its content (``core.uploads.detect``: no zip bomb, no other kind of file), the
workbook's XML elements counted by expat before openpyxl reads anything (MAX_XML_ELEMENTS), rows numbered by
their own ``r`` and data below row MAX_SHEET_ROWS refused by name (a sheet declaring a million rows costs
nothing: only rows that exist are read), at most MAX_DATA_ROWS rows of data, openpyxl in read-only mode.
The limits are larger than the KPI Template's: a year's 12-month round of 2,000 units × 25 KPIs is one file.

Refused at the cell: formulas (and text starting with "="), error values, ids that are not whole numbers, a
row with data but no item id, texts over ``layout.MAX_TEXT`` characters, ticks that are not ใช่/ไม่ใช่.
Only the ids and the editable columns (``layout.EDITABLE``) are read; the header row must be the export's.
"""

import io
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from kpi_agreements.agreements.excel import parse as kpi_parse
from kpi_agreements.agreements.excel.parse import INVALID, ImportReport, Row, megabytes
from kpi_agreements.core import uploads

from .layout import EDITABLE, MAX_TEXT, NO, RESULT_COLUMNS, SHEET_RESULTS, TEXTS, YES, word

# A filled 12-month workbook of 2,000 units × 25 KPIs is about 3 MB: the KPI Template's limit serves.
MAX_UPLOAD_BYTES = kpi_parse.MAX_UPLOAD_BYTES
MAX_DATA_ROWS = 60_000
MAX_SHEET_ROWS = 100_000
# About 2.5 million in that full workbook (a row, and a cell and its value per filled cell).
MAX_XML_ELEMENTS = 4_000_000
ERROR_VALUES = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
READ = ("report", "item", *EDITABLE)


def not_xlsx() -> str:
    return _(
        "The file is not an Excel workbook (.xlsx). Save it as “Excel Workbook (*.xlsx)” and upload it again."
    )


@dataclass
class ResultRow:
    """One data row: its ids and the values it gives, each cell already checked on its own."""

    row: Row
    item_id: int | None
    report_id: int | None
    result: object  # the raw cell: its meaning depends on the KPI's method (layout.result_from_cell)
    narrative: str
    obstacles: str
    obstacles_external: bool
    suggestions: str
    later_round: bool
    later_reason: str


# --- bounded opening -------------------------------------------------------------------------------------
# agreements.excel.parse._open/_scan/_Budget with this workbook's limits: they read theirs from module
# constants. (To share once they take the limits as arguments.)


class _Budget(kpi_parse._Budget):
    def __init__(self):
        self.left = MAX_XML_ELEMENTS
        self.row = 0

    def count(self, name, attrs):
        self.left -= 1
        if self.left < 0:
            raise kpi_parse._Refused(
                _(
                    "The workbook is too large to read: it holds more than %(max)s cells and other entries. "
                    "Delete the empty rows and columns below and beside the tables, or split the file."
                )
                % {"max": f"{MAX_XML_ELEMENTS:,}"}
            )

    def sheet(self, name, attrs):
        self.count(name, attrs)
        local = name.rpartition(":")[2]
        if local == "row":
            number = float(attrs.get("r", self.row + 1))
            if not number.is_integer():
                raise ValueError(f"row number {number}")
            row = int(number)
            if row <= self.row:  # openpyxl would skip this row without a word
                raise kpi_parse._Refused(
                    _(
                        "Row %(row)s comes twice or out of order in the file; open it in Excel, save it "
                        "again and upload it."
                    )
                    % {"row": row},
                    row,
                )
            self.row = row
        elif local in ("v", "f", "is") and self.row > MAX_SHEET_ROWS:
            raise kpi_parse._Refused(
                _(
                    "The sheet has more than %(max)s rows: this row holds data. Keep the data within the "
                    "first %(max)s rows, or split the file."
                )
                % {"max": f"{MAX_SHEET_ROWS:,}"},
                self.row,
            )


def _scan(archive: zipfile.ZipFile, report: ImportReport) -> bool:
    budget = _Budget()
    workbook = uploads.office_main_part(archive)[1]
    index = [workbook, kpi_parse._rels(workbook)]
    try:
        for part in index:
            kpi_parse._parse(archive, part, budget.count)
        sheets = kpi_parse._sheet_parts(archive, workbook)
        for part, name in sheets.items():
            budget.row = 0
            try:
                kpi_parse._parse(archive, part, budget.sheet)
            except kpi_parse._Refused as exc:
                report.add(str(exc), name, exc.row)
                return False
        for part in archive.namelist():
            if part.endswith((".xml", ".rels")) and part not in index and part not in sheets:
                kpi_parse._parse(archive, part, budget.count)
    except kpi_parse._Refused as exc:
        report.add(str(exc))
        return False
    return True


def open_workbook(fileobj, report: ImportReport):
    """The workbook in read-only mode, or None with the reason in ``report``."""
    data = fileobj.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        report.add(_("The file is larger than %(size)s MB.") % {"size": megabytes(MAX_UPLOAD_BYTES)})
        return None
    try:
        kind = uploads.detect(io.BytesIO(data))
    except ValidationError as exc:  # a zip bomb or a damaged file of another kind: its own message
        report.add(exc.messages[0])
        return None
    if kind != "xlsx":
        report.add(not_xlsx())
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if not _scan(archive, report):
                return None
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # expat and openpyxl raise many kinds of errors on a damaged or foreign file
        report.add(not_xlsx())
        return None


# --- the results sheet -----------------------------------------------------------------------------------


def _header_ok(header, report: ImportReport) -> bool:
    found = [kpi_parse._to_text(v) for v in header][: len(RESULT_COLUMNS)]
    found += [""] * (len(RESULT_COLUMNS) - len(found))
    ok = True
    for i, (column, text) in enumerate(zip(RESULT_COLUMNS, found, strict=True), start=1):
        if text != column.header:
            ok = False
            report.add(
                _("The column should be headed “%(expected)s”, not “%(found)s”.")
                % {"expected": column.header, "found": text},
                SHEET_RESULTS,
                1,
                i,
                column.header,
            )
    return ok


def _cells(r: int, cells: tuple, positions: dict[str, int], report: ImportReport) -> dict | None:
    """The row's values by key; None for a blank row. Formulas and error values are reported here."""
    values = {}
    for key, i in positions.items():
        value = cells[i - 1] if i <= len(cells) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, str) and (value.lstrip().startswith("=") or value.strip() in ERROR_VALUES):
            message = (
                _("The cell holds the error value %(value)s.") % {"value": value.strip()}
                if value.strip() in ERROR_VALUES
                else _("Formulas are not allowed: type the value itself (text may not start with “=”).")
            )
            report.add(message, SHEET_RESULTS, r, i, RESULT_COLUMNS[i - 1].header)
            value = INVALID
        values[key] = value
    return values or None


def _tick(row: Row, key: str) -> bool:
    value = row.values.get(key)
    if value is None or value is INVALID:
        return False
    ticked = word(value)
    if ticked is None:
        row.error(key, _("Enter %(yes)s or %(no)s.") % {"yes": YES, "no": NO})
        return False
    return ticked


def _result_row(row: Row) -> ResultRow:
    item_id = row.integer("item")
    if "item" not in row.values:  # blank (a bad id is reported by row.integer)
        row.error(
            "item",
            _(
                "The row has no KPI report code (hidden column B): rows cannot be added. Type the values in "
                "the KPI's own row of the downloaded workbook."
            ),
        )
    texts = {key: row.text(key, max_length=MAX_TEXT) for key in TEXTS}
    return ResultRow(
        row=row,
        item_id=item_id,
        report_id=row.integer("report"),
        result=row.values.get("result"),
        obstacles_external=_tick(row, "external"),
        later_round=_tick(row, "later_round"),
        **texts,
    )


def read_rows(fileobj, report: ImportReport) -> list[ResultRow] | None:
    """Every data row of the results sheet, each cell checked on its own; None when the file cannot be read
    with confidence (the reason is in ``report``)."""
    wb = open_workbook(fileobj, report)
    if wb is None:
        return None
    try:
        if SHEET_RESULTS not in wb.sheetnames:
            report.add(
                _("The workbook has no sheet named “%(sheet)s”.") % {"sheet": SHEET_RESULTS}, SHEET_RESULTS
            )
            return None
        ws = wb[SHEET_RESULTS]
        # An explicit last row: openpyxl would otherwise stop at the sheet's declared dimension, which may be
        # stale; _scan has made sure nothing below MAX_SHEET_ROWS holds a value.
        rows = ws.iter_rows(min_row=1, max_row=MAX_SHEET_ROWS, max_col=len(RESULT_COLUMNS), values_only=True)
        if not _header_ok(next(rows, ()), report):
            return None
        positions = {c.key: i for i, c in enumerate(RESULT_COLUMNS, start=1) if c.key in READ}
        out = []
        for r, cells in enumerate(rows, start=2):
            values = _cells(r, cells, positions, report)
            if values is None:
                continue
            if len(out) >= MAX_DATA_ROWS:
                report.add(
                    _("The sheet has more than %(max)s rows of data; split the file.")
                    % {"max": MAX_DATA_ROWS},
                    SHEET_RESULTS,
                    r,
                )
                return None
            out.append(_result_row(Row(report, SHEET_RESULTS, RESULT_COLUMNS, r, values)))
        return out
    finally:
        wb.close()
