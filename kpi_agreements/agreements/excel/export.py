"""Writing the workbooks: an agreement's KPI Template workbook, and a whole year's KPIs in one sheet for
analysis (unit, number, dimension, name, weight, method, direction, thresholds t1..t5 of quantitative KPIs,
mandatory code, supervisor, collector), one query. The layout is in ``layout``."""

import io
from types import SimpleNamespace

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.excel.layout import (
    CRITERIA_SHEETS,
    DIRECTION_LABELS_TH,
    DV_ERROR,
    DV_ERROR_TITLE,
    FONT,
    HEADER_ALIGNMENT,
    HEADER_FILL,
    HEADER_FONT,
    HEADER_NOTES,
    MAX_ROWS,
    METHOD_LABELS_TH,
    NOTE_AUTHOR,
    SHEET_KPIS,
    SHEET_LISTS,
    SHEET_YEAR,
    TEXT_FORMAT,
    WRAP,
    YEAR_COLUMNS,
    Column,
    kpi_columns,
    parse_decimal_text,
)
from kpi_agreements.agreements.models import KPI, Agreement
from kpi_agreements.organisation.models import Person


def _new_workbook(*, write_only: bool = False) -> Workbook:
    wb = Workbook(write_only=write_only)
    # openpyxl has no public setter for the workbook's default font. Every cell without a style of its own
    # uses font 0, so replacing it puts the Thai font on every cell without styling each one (a year export
    # has about a million cells; styling them one by one would double its time).
    wb._fonts = IndexedList([FONT])
    wb._named_styles["Normal"].font = FONT
    return wb


def _cell_value(value):
    """A value as it goes into a cell: numeric text becomes a number, so Excel can add it up."""
    if isinstance(value, str):
        number = parse_decimal_text(value)
        if number is not None:
            return number
    return value


def _guard_text(cell) -> None:
    # openpyxl writes any string starting with "=" as a formula; text stays text.
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"
        cell.quotePrefix = True


def _write_header(ws, columns: list[Column], notes: dict | None = None) -> None:
    for i, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
        note = (notes or {}).get(column.key)
        if note:
            cell.comment = Comment(note, NOTE_AUTHOR, width=260, height=90)
        dimension = ws.column_dimensions[get_column_letter(i)]
        dimension.width = column.width
        if column.kind == "key":
            dimension.number_format = TEXT_FORMAT  # typed keys stay text: "1.10" is not 1.1
    ws.row_dimensions[1].height = 42


def _write_rows(ws, columns: list[Column], rows) -> None:
    kinds = [(i, c.kind == "key", c.kind == "long") for i, c in enumerate(columns, start=1)]
    # Cells are written one by one with a running row number: ws.max_row scans every cell (quadratic).
    for r, values in enumerate(rows, start=2):
        for (i, key, wrap), value in zip(kinds, values, strict=False):
            if value is None:
                continue
            cell = ws.cell(row=r, column=i, value=value)
            if key:
                cell.number_format = TEXT_FORMAT
            if wrap:
                cell.alignment = WRAP
            _guard_text(cell)


def _lists_sheet(wb, dimensions) -> dict[str, str]:
    """The hidden sheet the drop-down lists read from; returns the list formula for each column key."""
    ws = wb.create_sheet(SHEET_LISTS)
    lists = {
        "dimension": [d.name_th for d in dimensions],
        "method": list(METHOD_LABELS_TH.values()),
        "direction": list(DIRECTION_LABELS_TH.values()),
    }
    formulas = {}
    for col, (key, values) in enumerate(lists.items(), start=1):
        ws.cell(row=1, column=col, value=key)
        for row, value in enumerate(values, start=2):
            ws.cell(row=row, column=col, value=value).data_type = "s"
        if values:
            letter = get_column_letter(col)
            formulas[key] = f"'{SHEET_LISTS}'!${letter}$2:${letter}${len(values) + 1}"
    ws.sheet_state = "hidden"
    return formulas


def _add_list_validation(ws, columns: list[Column], key: str, formula: str | None) -> None:
    if not formula:
        return
    letter = get_column_letter(next(i for i, c in enumerate(columns, start=1) if c.key == key))
    dv = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=DV_ERROR_TITLE,
        error=DV_ERROR,
    )
    dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    ws.add_data_validation(dv)


def _user(person) -> str:
    return person.username if person else ""


def _kpi_row(kpi: KPI, columns: list[Column], parents: dict[int, str]) -> list:
    baseline = {
        str(entry.get("year")): entry.get("value") for entry in kpi.baseline or [] if isinstance(entry, dict)
    }
    values = {
        "id": kpi.pk,
        "number": kpi.number,
        "dimension": kpi.dimension.name_th,
        "parent": parents.get(kpi.parent_id, ""),
        "name": kpi.name,
        "weight": kpi.weight,
        "unit_of_measure": kpi.unit_of_measure,
        "method": METHOD_LABELS_TH.get(kpi.method, kpi.method),
        "direction": DIRECTION_LABELS_TH.get(kpi.direction, kpi.direction),
        "description": kpi.description,
        "formula": kpi.formula,
        "conditions": kpi.conditions,
        "data_source": kpi.data_source,
        "collection_method": kpi.collection_method,
        "supervisor": _user(kpi.supervisor),
        "collector": _user(kpi.collector),
    }
    for column in columns:
        if column.key.startswith("baseline_"):
            values[column.key] = _cell_value(baseline.get(column.key.removeprefix("baseline_")))
    return [values.get(c.key) if values.get(c.key) != "" else None for c in columns]


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _padded(values, n=5) -> list:
    values = [_cell_value(v) for v in _list(values)[:n]]
    return values + [None] * (n - len(values))


def _criteria_rows(kpi: KPI) -> list[list]:
    """The KPI's rows on its method's criteria sheet; an empty placeholder when a leaf KPI has none yet."""
    c = kpi.criteria if isinstance(kpi.criteria, dict) else {}
    n = kpi.number
    if kpi.method == "quantitative":
        return [[n, *_padded(c.get("thresholds"))]] if c or not kpi.child_list else []
    if kpi.method == "multi_quantitative":
        measures = [m for m in _list(c.get("measures")) if isinstance(m, dict)]
        if not measures:
            return [] if kpi.child_list else [[n, None, None, None, None, None, None, None]]
        return [
            [n, m.get("name"), _cell_value(m.get("weight")), *_padded(m.get("thresholds"))] for m in measures
        ]
    if kpi.method == "milestone":
        levels = _list(c.get("levels"))
        rows = [[n, level, step] for level, steps in enumerate(levels[:5], start=1) for step in _list(steps)]
        if not rows and not kpi.child_list:
            rows = [[n, level, None] for level in range(1, 6)]
        return rows
    if kpi.method == "pass_fail":
        return [[n, c.get("condition")]] if c or not kpi.child_list else []
    if kpi.method == "qualitative":
        return [[n, *_padded(c.get("levels"))]] if c or not kpi.child_list else []
    return []


def agreement_workbook(agreement: Agreement, blank: bool = False) -> Workbook:
    """The KPI Template workbook of one agreement (layout: module docstring); ``blank``: headers only."""
    year = agreement.fiscal_year
    dimensions = list(year.dimensions.all())
    columns = kpi_columns(year.be_year)
    kpis = (
        []
        if blank
        else selectors.outline(agreement.kpis.select_related("dimension", "supervisor", "collector"))
    )
    numbers = {kpi.pk: kpi.number for kpi in kpis}

    wb = _new_workbook()
    ws = wb.active
    ws.title = SHEET_KPIS
    _write_header(ws, columns, HEADER_NOTES)
    _write_rows(ws, columns, (_kpi_row(kpi, columns, numbers) for kpi in kpis))
    ws.freeze_panes = "C2"

    for method, (name, criteria_columns) in CRITERIA_SHEETS.items():
        sheet = wb.create_sheet(name)
        _write_header(sheet, criteria_columns)
        _write_rows(
            sheet,
            criteria_columns,
            (row for kpi in kpis if kpi.method == method for row in _criteria_rows(kpi)),
        )
        sheet.freeze_panes = "B2"

    formulas = _lists_sheet(wb, dimensions)
    for key in ("dimension", "method", "direction"):
        _add_list_validation(ws, columns, key, formulas.get(key))
    return wb


def _year_cells(ws, values: list) -> list:
    # Write-only sheets take plain values; only text that looks like a formula needs a cell of its own.
    out = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(ws, value)
            _guard_text(cell)
            value = cell
        out.append(value)
    return out


_PERSON_FIELDS = ("username", "title", "first_name", "last_name")
_YEAR_FIELDS = (
    "pk", "agreement_id", "parent_id", "order", "dimension_id", "dimension__order", "dimension__name_th",
    "agreement__unit__abbreviation", "agreement__unit__name_th", "name", "weight", "unit_of_measure",
    "method", "direction", "criteria", "mandatory_id", "mandatory__code",
    *(f"{who}__{f}" for who in ("supervisor", "collector") for f in ("id", *_PERSON_FIELDS)),
)  # fmt: skip


class _YearKpi:
    """One KPI of the year export: its database row, and what ``selectors.outline`` reads and sets."""

    __slots__ = (
        "row",
        "pk",
        "parent_id",
        "order",
        "dimension_id",
        "dimension",
        "number",
        "depth",
        "child_list",
        "mandatory_id",
        "mandatory_code",
    )

    def __init__(self, row, dimension):
        self.row, self.pk, self.parent_id, self.order = row, row.pk, row.parent_id, row.order
        self.dimension_id, self.dimension = row.dimension_id, dimension
        # The framework's code, so a mandatory KPI keeps its number in the export (selectors.outline).
        self.mandatory_id, self.mandatory_code = row.mandatory_id, row.mandatory__code


PROGRESS_ROWS = 2000  # the year's workbook tells its progress once per this many rows (one database chunk)


def year_workbook(fiscal_year, agreements_qs, progress=None) -> Workbook:
    """Every KPI of the given agreements of one year in one sheet, for analysis; one query at any size (two
    with ``progress(done, total)``, told in KPI rows every PROGRESS_ROWS rows).

    Rows are read as tuples, not model instances: building 50,000 KPIs with five related objects each would
    take most of the time of the export.
    """
    wb = _new_workbook(write_only=True)
    ws = wb.create_sheet(SHEET_YEAR.format(year=fiscal_year.be_year))
    ws.freeze_panes = "A2"
    for i, column in enumerate(YEAR_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    header = []
    for column in YEAR_COLUMNS:
        cell = WriteOnlyCell(ws, column.header)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        header.append(cell)
    ws.append(header)

    kpis = KPI.objects.filter(agreement__in=agreements_qs.filter(fiscal_year=fiscal_year).values("pk"))
    total = kpis.count() if progress else 0
    if progress:
        progress(0, total)
    rows = kpis.order_by("agreement__unit__path", "agreement_id", "pk").values_list(*_YEAR_FIELDS, named=True)
    dimensions: dict[int, SimpleNamespace] = {}
    people: dict[int, str] = {}
    group: list[_YearKpi] = []
    written = 0
    for row in rows.iterator(chunk_size=2000):
        if group and row.agreement_id != group[0].row.agreement_id:
            before = written
            written += _write_year_group(ws, group, people)
            group = []
            if progress and written // PROGRESS_ROWS > before // PROGRESS_ROWS:
                progress(written, total)
        dimension = dimensions.get(row.dimension_id)
        if dimension is None:
            dimension = dimensions[row.dimension_id] = SimpleNamespace(order=row.dimension__order)
        group.append(_YearKpi(row, dimension))
    if group:
        written += _write_year_group(ws, group, people)
    if progress:
        progress(total, total)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(YEAR_COLUMNS))}{written + 1}"
    return wb


def _person(row, who: str, people: dict[int, str]) -> str | None:
    pk = getattr(row, f"{who}__id")
    if pk is None:
        return None
    if pk not in people:  # Person.display_name stays the one definition of a person's name
        people[pk] = Person(**{f: getattr(row, f"{who}__{f}") for f in _PERSON_FIELDS}).display_name
    return people[pk]


def _write_year_group(ws, kpis: list[_YearKpi], people: dict[int, str]) -> int:
    """One agreement's KPIs in reading order."""
    ordered = selectors.outline(kpis)
    for kpi in ordered:
        row = kpi.row
        criteria = row.criteria if isinstance(row.criteria, dict) else {}
        thresholds = _padded(criteria.get("thresholds")) if row.method == "quantitative" else [None] * 5
        values = [
            row.agreement__unit__abbreviation,
            row.agreement__unit__name_th,
            row.pk,
            kpi.number,
            row.dimension__name_th,
            row.name,
            row.weight,
            row.unit_of_measure or None,
            METHOD_LABELS_TH.get(row.method, row.method),
            DIRECTION_LABELS_TH.get(row.direction, row.direction),
            *thresholds,
            row.mandatory__code,
            _person(row, "supervisor", people),
            _person(row, "collector", people),
        ]
        ws.append(_year_cells(ws, values))
    return len(ordered)


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
