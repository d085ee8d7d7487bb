"""Reading an uploaded KPI Template workbook into checked rows, and every problem with its sheet, row and
column (layout: ``layout``); everything that can be checked without the database.

Refused: anything but an xlsx, more than MAX_UPLOAD_BYTES, a zip that expands too far (core.uploads), more
than MAX_XML_ELEMENTS cells, data below row MAX_SHEET_ROWS, a missing sheet or header, more than MAX_ROWS data
rows on a sheet, formulas (and text starting with "="), error values, text in number cells, unknown methods or
directions, weights and criteria the scoring engine rejects. Columns to the right of a sheet's table are
ignored. A KPI with no criteria rows gets empty criteria (a draft may be incomplete; submission checks it).
"""

import io
import posixpath
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from xml.etree import ElementTree
from xml.parsers import expat

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from kpi_agreements import scoring
from kpi_agreements.agreements.excel.layout import (
    CRITERIA_SHEETS,
    MAX_ROWS,
    METHOD_LABELS_TH,
    SHEET_KPIS,
    Column,
    baseline_years,
    kpi_columns,
    parse_decimal_text,
    plain,
)
from kpi_agreements.agreements.models import KPI
from kpi_agreements.core import uploads
from kpi_agreements.criteria.labels import DIRECTION_LABELS, METHOD_LABELS, codes
from kpi_agreements.criteria.validation import check_weight, scoring_message

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Rows read per sheet, blank ones included: data below is refused by name, never dropped; blank rows are not.
MAX_SHEET_ROWS = 10_000
# Cells and the other XML elements of the whole workbook (about 300,000 in a full 5,000-KPI file), counted
# by expat before openpyxl parses anything: openpyxl's time grows with them, whatever the sheet declares.
MAX_XML_ELEMENTS = 1_000_000
WEIGHT_PLACES = Decimal("0.0001")


class _Bad(Exception):
    """A cell's value cannot be used; the message says why."""


def _to_decimal(value) -> Decimal | None:
    number = _read_decimal(value)
    if number is None:
        return None
    # The scoring engine's bounds on every number (15 significant digits, below 10^12); text goes to it as
    # typed, so "1E5" is refused as the calculator refuses it.
    try:
        return scoring.to_decimal(value.strip().replace(",", "") if isinstance(value, str) else number)
    except scoring.ScoringError as exc:
        raise _Bad(scoring_message(exc)) from None


def _read_decimal(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or isinstance(value, datetime | date | time):
        raise _Bad(_("“%(value)s” is not a number.") % {"value": value})
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # The one float conversion allowed (docs/scoring.md): openpyxl reads numeric cells as floats, and
        # str() gives the shortest text that reads back as the same float, i.e. what the user typed.
        return Decimal(str(value))
    if isinstance(value, str):
        number = parse_decimal_text(value)
        if number is None:
            raise _Bad(_("“%(value)s” is not a number.") % {"value": value.strip()})
        return number
    raise _Bad(_("“%(value)s” is not a number.") % {"value": value})


def _to_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return plain(_to_decimal(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value).strip()


def _to_int(value) -> int | None:
    number = _to_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise _Bad(_("Enter a whole number."))
    return int(number)


# --- reading: the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """One problem in an uploaded file: where it is (sheet, row, column) and what is wrong."""

    sheet: str
    row: int | None
    column: str  # the column letter; "" for the whole row or file
    header: str
    message: str


@dataclass
class ImportReport:
    errors: list[CellError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_file: int = 0  # KPIs of the agreement the file does not list: left as they are
    applied: bool = False  # the file was written (it had no problem, and was not applied already)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(
        self,
        message: str,
        sheet: str = "",
        row: int | None = None,
        column: int | None = None,
        header: str = "",
    ) -> None:
        letter = get_column_letter(column) if column else ""
        self.errors.append(CellError(sheet, row, letter, header, message))

    def sort(self) -> None:
        """File-level problems first, then sheet by sheet in workbook order, row by row, column by column."""
        sheets = [SHEET_KPIS, *(name for name, _columns in CRITERIA_SHEETS.values())]

        def key(error: CellError):
            sheet = sheets.index(error.sheet) + 1 if error.sheet in sheets else 0
            column = column_index_from_string(error.column) if error.column else 0
            return sheet, error.row or 0, column

        self.errors.sort(key=key)


INVALID = object()  # a cell already reported (a formula, an error value): not read again


class Row:
    """One data row of a sheet: typed access to its cells, each problem reported with its place."""

    def __init__(self, report: ImportReport, sheet: str, columns: list[Column], row: int, values: dict):
        self.report, self.sheet, self.columns, self.row, self.values = report, sheet, columns, row, values
        self.index = {c.key: i for i, c in enumerate(columns, start=1)}
        self.ok = True

    def error(self, key: str | None, message: str) -> None:
        self.ok = False
        column = self.index.get(key) if key else None
        header = self.columns[column - 1].header if column else ""
        self.report.add(message, self.sheet, self.row, column, header)

    def _blank(self, key: str) -> bool:
        raw = self.values.get(key)
        return raw is None or (isinstance(raw, str) and not raw.strip())

    def _read(self, key, convert, default, required_message=None):
        raw = self.values.get(key)
        if raw is INVALID:
            self.ok = False
            return default
        if self._blank(key):
            if required_message:
                self.error(key, required_message)
            return default
        try:
            return convert(raw)
        except _Bad as exc:
            self.error(key, str(exc))
            return default

    def text(self, key: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self._read(key, _to_text, "", _("This value is required.") if required else None)
        if max_length and len(value) > max_length:
            self.error(
                key,
                _("At most %(max)s characters are allowed (this has %(count)s).")
                % {"max": max_length, "count": len(value)},
            )
        return value

    def decimal(self, key: str, *, required: bool = False) -> Decimal | None:
        return self._read(key, _to_decimal, None, _("Enter a value here.") if required else None)

    def integer(self, key: str) -> int | None:
        return self._read(key, _to_int, None)

    def is_blank(self, keys=None) -> bool:
        return all(self._blank(key) for key in keys or self.index)


def _read_sheet(wb, name: str, columns: list[Column], report: ImportReport) -> list[Row] | None:
    """The data rows of a sheet, after checking its header, its size and that no cell holds a formula."""
    ws = wb[name]
    width = len(columns)
    # An explicit last row: openpyxl would otherwise stop at the sheet's declared dimension, which may be
    # stale. _scan has made sure nothing below MAX_SHEET_ROWS holds a value.
    rows = ws.iter_rows(min_row=1, max_row=MAX_SHEET_ROWS, max_col=max(width, 1))
    header = next(rows, ())
    found = [_to_text(c.value) if c.data_type != "f" else str(c.value) for c in header][:width]
    found += [""] * (width - len(found))
    header_ok = True
    for i, (column, text) in enumerate(zip(columns, found, strict=True), start=1):
        if text != column.header:
            header_ok = False
            report.add(
                _("The column should be headed “%(expected)s”, not “%(found)s”.")
                % {"expected": column.header, "found": text},
                name,
                1,
                i,
                column.header,
            )
    if not header_ok:
        return None
    out = []
    for r, cells in enumerate(rows, start=2):
        values, blank = {}, True
        for c, (column, cell) in enumerate(zip(columns, cells, strict=False), start=1):
            value = cell.value
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            blank = False
            if cell.data_type == "f" or (isinstance(value, str) and value.lstrip().startswith("=")):
                report.add(
                    _("Formulas are not allowed: type the value itself (text may not start with “=”)."),
                    name,
                    r,
                    c,
                    column.header,
                )
                value = INVALID
            elif cell.data_type == "e":
                report.add(
                    _("The cell holds the error value %(value)s.") % {"value": value},
                    name,
                    r,
                    c,
                    column.header,
                )
                value = INVALID
            values[column.key] = value
        if blank:
            continue
        if len(out) >= MAX_ROWS:
            report.add(
                _("The sheet has more than %(max)s rows of data; split the file.") % {"max": MAX_ROWS},
                name,
                r,
            )
            return None
        out.append(Row(report, name, columns, r, values))
    return out


# --- reading: the KPI rows and criteria --------------------------------------------------------------------

METHOD_CODES = codes(METHOD_LABELS)
DIRECTION_CODES = codes(DIRECTION_LABELS)
TEXT_FIELDS = ["unit_of_measure", "description", "formula", "conditions", "data_source", "collection_method"]


@dataclass
class KpiRow:
    row: Row
    pk: int | None
    number: str
    dimension: str
    parent: str
    method: str | None
    direction: str | None
    weight: Decimal
    fields: dict  # name and the text fields of TEXT_FIELDS
    baseline: dict  # B.E. year -> text
    supervisor: str
    collector: str


def _parse_kpi(row: Row, be_year: int) -> KpiRow:
    length = {f: KPI._meta.get_field(f).max_length for f in ["name", *TEXT_FIELDS]}
    fields = {"name": row.text("name", required=True, max_length=length["name"])}
    for name in TEXT_FIELDS:
        fields[name] = row.text(name, max_length=length[name])
    weight = row.decimal("weight")
    if weight is not None:
        try:
            weight = check_weight(weight)  # the KPI services' rule, reported at the cell
        except ValidationError as exc:
            row.error("weight", exc.messages[0])
    method = row.text("method", required=True)
    method_code = METHOD_CODES.get(method.casefold())
    if method and not method_code:
        row.error(
            "method", _("“%(value)s” is not a scoring method; choose one from the list.") % {"value": method}
        )
    direction = row.text("direction")
    direction_code = DIRECTION_CODES.get(direction.casefold())
    if direction and not direction_code:
        row.error(
            "direction", _("“%(value)s” is not a direction; choose one from the list.") % {"value": direction}
        )
    pk = row.integer("id")
    if pk is not None and pk <= 0:
        row.error("id", _("Enter a whole number."))
    return KpiRow(
        row=row,
        pk=pk,
        number=row.text("number", required=True),
        dimension=row.text("dimension"),
        parent=row.text("parent"),
        method=method_code,
        direction=direction_code,
        weight=weight if weight is not None else Decimal(0).quantize(WEIGHT_PLACES),
        fields=fields,
        baseline={y: row.text(f"baseline_{y}") for y in baseline_years(be_year)},
        supervisor=row.text("supervisor"),
        collector=row.text("collector"),
    )


def _threshold_values(row: Row) -> list[str]:
    values = [row.decimal(f"t{k}", required=True) for k in range(1, 6)]
    return [plain(v) if v is not None else "" for v in values]


def _criteria_from_rows(method: str, rows: list[Row]) -> dict | None:
    """The criteria document of one KPI from its rows; None when a cell was unreadable (already reported)."""
    if method in ("quantitative", "pass_fail", "qualitative") and len(rows) > 1:
        for row in rows[1:]:
            row.error(
                "number",
                _("KPI %(number)s has more than one row on this sheet (first on row %(row)s).")
                % {"number": row.text("number"), "row": rows[0].row},
            )
        return None
    if method == "quantitative":
        criteria = {"thresholds": _threshold_values(rows[0])}
    elif method == "multi_quantitative":
        criteria = {
            "measures": [
                {
                    "name": row.text("name"),
                    "weight": _opt_plain(row.decimal("weight", required=True)),
                    "thresholds": _threshold_values(row),
                }
                for row in rows
            ]
        }
    elif method == "milestone":
        levels = [[] for _ in range(5)]
        for row in rows:
            level = row.integer("level")
            if level is None or not 1 <= level <= 5:
                if row.values.get("level") is not INVALID:
                    row.error("level", _("The level must be a whole number from 1 to 5."))
                continue
            levels[level - 1].append(row.text("step"))
        criteria = {"levels": levels}
    elif method == "pass_fail":
        criteria = {"condition": rows[0].text("condition")}
    else:
        criteria = {"levels": [rows[0].text(f"l{k}") for k in range(1, 6)]}
    return criteria if all(row.ok for row in rows) else None


def _opt_plain(number: Decimal | None) -> str:
    return plain(number) if number is not None else ""


# An engine field such as "thresholds[2]", "measures[1].weight", "measures[0].thresholds[4]", "levels[2][0]".
_PATH = re.compile(r"(\w+)(?:\[(\d+)\])?(?:\.(\w+))?(?:\[(\d+)\])?")


def _point_error(method: str, rows: list[Row], exc: scoring.ScoringError) -> None:
    """Put the engine's message (in the user's language) on the cell its ``field`` names."""
    message = scoring_message(exc)
    match = _PATH.fullmatch(exc.field or "")
    i, sub, j = match.groups()[1:] if match else (None, None, None)
    i = int(i) if i is not None else None
    j = int(j) if j is not None else None
    row, key = rows[0], None
    if method == "quantitative":
        key = f"t{i + 1}" if i is not None else "t1"
    elif method == "multi_quantitative":
        if i is not None and i < len(rows):
            row = rows[i]
        if sub in ("name", "weight"):
            key = sub
        elif sub == "thresholds":
            key = f"t{j + 1}" if j is not None else "t1"
        else:
            key = "weight" if exc.code == "zero_total_weight" else "name"
    elif method == "milestone":
        if i is not None:  # levels[i]: the first row of that level, else the KPI's first row
            row = next((r for r in rows if _safe_int(r.values.get("level")) == i + 1), rows[0])
        key = "step" if j is not None else "level"
    elif method == "pass_fail":
        key = "condition"
    else:
        key = f"l{i + 1}" if i is not None else "l1"
    row.error(key, message)


def _safe_int(value) -> int | None:
    try:
        return _to_int(value) if value is not INVALID else None
    except _Bad:
        return None


@dataclass
class Parsed:
    kpis: list[KpiRow]
    criteria: dict[str, dict] = field(default_factory=dict)  # KPI number -> its checked criteria
    # KPI number -> the direction its quantitative thresholds read in, where the file states none
    directions: dict[str, str] = field(default_factory=dict)


def _open(fileobj, report: ImportReport):
    data = fileobj.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        report.add(_("The file is larger than %(size)s MB.") % {"size": megabytes(MAX_UPLOAD_BYTES)})
        return None
    not_xlsx = _(
        "The file is not an Excel workbook (.xlsx). Save it as “Excel Workbook (*.xlsx)” and upload it again."
    )
    try:
        kind = uploads.detect(io.BytesIO(data))
    except ValidationError as exc:  # a zip bomb or a damaged file of another kind: its own message
        report.add(exc.messages[0])
        return None
    if kind != "xlsx":
        report.add(not_xlsx)
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if not _scan(archive, report):
                return None
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # expat and openpyxl raise many kinds of errors on a damaged or foreign file
        report.add(not_xlsx)
        return None


class _Refused(Exception):
    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


def _refuse_dtd(*args):
    raise ValueError("a DTD in an xlsx")  # never in a real workbook; entity tricks live there


class _Budget:
    """Counts the workbook's XML elements; on a sheet, also numbers its rows as openpyxl will."""

    def __init__(self):
        self.left = MAX_XML_ELEMENTS
        self.row = 0

    def count(self, name, attrs):
        self.left -= 1
        if self.left < 0:
            raise _Refused(
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
            number = float(attrs.get("r", self.row + 1))  # openpyxl accepts "7.0" too
            if not number.is_integer():
                raise ValueError(f"row number {number}")
            row = int(number)
            if row <= self.row:  # openpyxl would skip this row without a word
                raise _Refused(
                    _(
                        "Row %(row)s comes twice or out of order in the file; open it in Excel, save it "
                        "again and upload it."
                    )
                    % {"row": row},
                    row,
                )
            self.row = row
        elif local in ("v", "f", "is") and self.row > MAX_SHEET_ROWS:
            raise _Refused(
                _(
                    "The sheet has more than %(max)s rows: this row holds data. Keep the data within the "
                    "first %(max)s rows, or split the file."
                )
                % {"max": f"{MAX_SHEET_ROWS:,}"},
                self.row,
            )


def _parse(archive: zipfile.ZipFile, part: str, handler) -> None:
    parser = expat.ParserCreate()
    parser.StartElementHandler = handler
    parser.StartDoctypeDeclHandler = _refuse_dtd
    with archive.open(part) as source:
        while chunk := source.read(1 << 16):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _rels(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _sheet_parts(archive: zipfile.ZipFile, workbook: str) -> dict[str, str]:
    """Part name -> sheet name, from the workbook's own index (openpyxl finds the sheets the same way)."""
    folder = posixpath.dirname(workbook)
    rels = ElementTree.fromstring(archive.read(_rels(workbook)))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    parts = {}
    main, relationships = (
        "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}",
        "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}",
    )
    for sheet in ElementTree.fromstring(archive.read(workbook)).iter(f"{main}sheet"):
        target = targets.get(sheet.get(f"{relationships}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        parts[posixpath.normpath(path)] = sheet.get("name", "")
    return parts


def _scan(archive: zipfile.ZipFile, report: ImportReport) -> bool:
    """Bound openpyxl's work before it parses anything, and make sure no row of data goes unread.

    Every XML element counts against MAX_XML_ELEMENTS, the workbook's index first (so it is small before it is
    read), then the sheets, then the rest. A sheet's rows are numbered by their own ``r`` as openpyxl does,
    never by the dimension the sheet declares; a value below row MAX_SHEET_ROWS is refused naming its row.
    """
    budget = _Budget()
    workbook = uploads.office_main_part(archive)[1]
    index = [workbook, _rels(workbook)]
    try:
        for part in index:
            _parse(archive, part, budget.count)
        sheets = _sheet_parts(archive, workbook)
        for part, name in sheets.items():
            budget.row = 0
            try:
                _parse(archive, part, budget.sheet)
            except _Refused as exc:
                report.add(str(exc), name, exc.row)
                return False
        for part in archive.namelist():
            if part.endswith((".xml", ".rels")) and part not in index and part not in sheets:
                _parse(archive, part, budget.count)
    except _Refused as exc:
        report.add(str(exc))
        return False
    return True


def megabytes(size: int) -> str:
    return plain((Decimal(size) / (1024 * 1024)).quantize(Decimal("0.1")))


def parse_workbook(fileobj, be_year: int, report: ImportReport, sheet_read=None) -> Parsed | None:
    """Every sheet, row and cell read and checked; None when the file cannot be read with confidence.
    ``sheet_read()`` is called after each sheet (an import's progress)."""
    wb = _open(fileobj, report)
    if wb is None:
        return None
    try:
        sheets = {SHEET_KPIS: kpi_columns(be_year)}
        sheets.update({name: columns for name, columns in CRITERIA_SHEETS.values()})
        missing = [name for name in sheets if name not in wb.sheetnames]
        for name in missing:
            report.add(_("The workbook has no sheet named “%(sheet)s”.") % {"sheet": name}, name)
        if missing:
            return None
        tables = {}
        for name, columns in sheets.items():
            tables[name] = _read_sheet(wb, name, columns, report)
            if sheet_read:
                sheet_read()
    finally:
        wb.close()
    if any(rows is None for rows in tables.values()):
        return None  # wrong headers or too many rows: the cells cannot be read with confidence
    parsed = Parsed([_parse_kpi(row, be_year) for row in tables[SHEET_KPIS]])
    # A weight may be left blank only on a parent KPI, whose weight is the sum of its sub-KPIs' (§4).
    parents = {item.parent for item in parsed.kpis}
    for item in parsed.kpis:
        if item.row.is_blank(["weight"]) and item.number not in parents:
            item.row.error("weight", _("Enter a value here."))
    _check_criteria(parsed, {method: tables[name] for method, (name, _columns) in CRITERIA_SHEETS.items()})
    return parsed


def _check_criteria(parsed: Parsed, sheets: dict[str, list[Row]]) -> None:
    """Each KPI's criteria from its rows on its method's sheet, checked by the scoring engine."""
    items = {item.number: item for item in parsed.kpis}
    by_kpi: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for method, rows in sheets.items():
        value_keys = [c.key for c in CRITERIA_SHEETS[method][1] if c.key not in ("number", "level")]
        for row in rows:
            if row.is_blank(value_keys):
                continue  # a placeholder with nothing filled in
            number = row.text("number", required=True)
            item = items.get(number)
            if not number:
                continue
            if item is None:
                row.error(
                    "number",
                    _("No KPI on sheet “%(sheet)s” has the number %(number)s.")
                    % {"sheet": SHEET_KPIS, "number": number},
                )
            elif item.method and item.method != method:
                row.error(
                    "number",
                    _("KPI %(number)s is scored by “%(method)s”: its criteria belong on sheet “%(sheet)s”.")
                    % {
                        "number": number,
                        "method": METHOD_LABELS_TH[item.method],
                        "sheet": CRITERIA_SHEETS[item.method][0],
                    },
                )
            else:
                by_kpi[(method, number)].append(row)
    for (method, number), rows in by_kpi.items():
        criteria = _criteria_from_rows(method, rows)
        if criteria is None:
            continue
        direction = items[number].direction
        checked = dict(criteria)
        if method == "quantitative" and direction:
            checked["direction"] = direction  # thresholds typed the wrong way round are caught
        try:
            scoring.validate_criteria(method, checked)
        except scoring.ScoringError as exc:
            _point_error(method, rows, exc)
            continue
        if method == "quantitative" and not direction:
            first, last = Decimal(criteria["thresholds"][0]), Decimal(criteria["thresholds"][-1])
            parsed.directions[number] = "higher" if first < last else "lower"
        parsed.criteria[number] = criteria
