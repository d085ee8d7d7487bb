"""Writing the round's workbook (layout: ``layout``): every KPI of the given reports on one sheet, their
stored totals on another. Two queries at any size; rows are read as tuples and written in write-only mode
(the agreements' year export does the same, for the same reason: 50,000 rows of model instances would take
most of the time)."""

from decimal import Decimal, InvalidOperation

from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_agreements.agreements.excel.export import _new_workbook, _year_cells
from kpi_agreements.agreements.excel.layout import (
    DV_ERROR,
    DV_ERROR_TITLE,
    HEADER_ALIGNMENT,
    HEADER_FILL,
    HEADER_FONT,
    METHOD_LABELS_TH,
    NOTE_AUTHOR,
)
from kpi_agreements.criteria.labels import in_thai

from ..models import ReportItem, RoundReport
from .layout import (
    CARD_COLUMNS,
    EDITABLE,
    HEADER_NOTES,
    HIDDEN,
    NO,
    READ_ONLY_FILL,
    RESULT_COLUMNS,
    SCORE_FORMAT,
    SHEET_CARDS,
    SHEET_RESULTS,
    YES,
    entry_hint,
    result_to_cell,
)

STATUS_TH = in_thai(dict(RoundReport.Status.choices))
# Drop-down lists reach this far down the results sheet (a year of 2,000 units × 25 KPIs fits).
LIST_ROWS = 100_000
_ITEM_FIELDS = (
    "report_id", "pk", "code", "name", "method", "unit_of_measure", "weight", "is_leaf", "criteria",
    "result", "narrative", "obstacles", "obstacles_external", "suggestions", "later_round", "later_reason",
    "self_score",
)  # fmt: skip


def filename(round, unit=None) -> str:
    stem = f"round-results-{round.fiscal_year.be_year}-{round.months}m"
    return f"{stem}-unit{unit.pk}.xlsx" if unit is not None else f"{stem}.xlsx"


def _header(ws, columns, notes=None) -> None:
    cells = []
    for i, column in enumerate(columns, start=1):
        dimension = ws.column_dimensions[get_column_letter(i)]
        dimension.width = column.width
        dimension.hidden = column.key in HIDDEN
        cell = WriteOnlyCell(ws, column.header)
        cell.font, cell.alignment = HEADER_FONT, HEADER_ALIGNMENT
        # Blue: read back on upload; grey: for reading only.
        cell.fill = HEADER_FILL if column.key in EDITABLE else READ_ONLY_FILL
        if notes and notes.get(column.key):
            cell.comment = Comment(notes[column.key], NOTE_AUTHOR, width=300, height=110)
        cells.append(cell)
    ws.append(cells)
    ws.freeze_panes = "F2"


def _yes_no_list(ws, key: str) -> None:
    letter = get_column_letter(next(i for i, c in enumerate(RESULT_COLUMNS, start=1) if c.key == key))
    dv = DataValidation(
        type="list",
        formula1=f'"{YES},{NO}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=DV_ERROR_TITLE,
        error=DV_ERROR,
    )
    dv.add(f"{letter}2:{letter}{LIST_ROWS}")
    ws.data_validations.append(dv)


class _Scores:
    """Score cells with 4 places; one style for all of them."""

    def __init__(self, ws):
        self.ws = ws

    def __call__(self, value):
        number = _decimal(value)
        if number is None:
            return None
        cell = WriteOnlyCell(self.ws, number)
        cell.number_format = SCORE_FORMAT
        return cell


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _report_rows(reports):
    return list(
        reports.order_by("agreement__unit__path", "pk").values_list(
            "pk",
            "agreement__unit__name_th",
            "status",
            "self_card",
            "verified_card",
            named=True,
        )
    )


def round_workbook(reports, progress=None):
    """The workbook of ``reports`` (a queryset already limited to the user's scope and one round).

    ``progress(done, total)`` counts reports written; total is the number of reports.
    """
    wb = _new_workbook(write_only=True)
    results = wb.create_sheet(SHEET_RESULTS)
    cards = wb.create_sheet(SHEET_CARDS)
    _header(results, RESULT_COLUMNS, HEADER_NOTES)
    _yes_no_list(results, "external")
    _yes_no_list(results, "later_round")
    score = _Scores(results)

    rows = _report_rows(reports)
    total = len(rows)
    by_pk = {r.pk: r for r in rows}
    step = max(1, total // 100)  # at most about a hundred progress writes, whatever the size
    if progress:
        progress(0, total)
    items = (
        ReportItem.objects.filter(report__in=reports.values("pk"))
        .order_by("report__agreement__unit__path", "report_id", "order", "pk")
        .values_list(*_ITEM_FIELDS, named=True)
    )
    done, current, written = 0, None, 0
    for item in items.iterator(chunk_size=2000):
        if item.report_id != current:
            if current is not None:
                done += 1
                if progress and done % step == 0:
                    progress(done, total)
            current = item.report_id
        report = by_pk[item.report_id]
        weighted = ((report.self_card or {}).get("kpis") or {}).get(item.code, {}).get("weighted")
        values = [
            item.report_id,
            item.pk,
            report.agreement__unit__name_th,
            item.code,
            item.name,
            METHOD_LABELS_TH.get(item.method, item.method) if item.is_leaf else None,
            item.unit_of_measure or None,
            item.weight,
            result_to_cell(item.method, item.result) if item.is_leaf else None,
            entry_hint(item.method, item.criteria, item.is_leaf),
            item.narrative or None,
            item.obstacles or None,
            YES if item.obstacles_external else None,
            item.suggestions or None,
            YES if item.later_round else None,
            item.later_reason or None,
            score(item.self_score),
            score(weighted) if item.self_score is not None or not item.is_leaf else None,
        ]
        results.append(_year_cells(results, values))
        written += 1
    if progress:
        progress(total, total)
    results.auto_filter.ref = f"A1:{get_column_letter(len(RESULT_COLUMNS))}{written + 1}"

    _header(cards, CARD_COLUMNS)
    cards.freeze_panes = "C2"
    card_score = _Scores(cards)
    for r in rows:
        own, verified = r.self_card or {}, r.verified_card or {}
        cards.append(
            _year_cells(
                cards,
                [
                    r.pk,
                    r.agreement__unit__name_th,
                    STATUS_TH.get(r.status, r.status),
                    card_score(own.get("subtotal")),
                    card_score(own.get("penalty")),
                    card_score(own.get("total")),
                    card_score(verified.get("subtotal")),
                    card_score(verified.get("penalty")),
                    card_score(verified.get("total")),
                ],
            )
        )
    return wb
