"""A round report's documents (DOMAIN §8, §10): the e-SAR card (PDF and Excel) and the SAR (PDF).

Every weight, score, weighted score and total is read from the stored round card (``report.self_card`` /
``report.verified_card``, services/cards.py) and never worked out here, so the documents print the figures
the pages show. Like the agreement PDF (documents/render.py: WeasyPrint, Sarabun, B.E. dates, Thai digits),
these are official Thai artefacts: their wording is Thai constants, whatever language the requester reads.
Imported by the jobs that render (jobs.py), not by the web pages: WeasyPrint is heavy.
"""

import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.template.loader import render_to_string
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from kpi_agreements import scoring
from kpi_agreements.agreements.excel.layout import FONT, HEADER_ALIGNMENT, HEADER_FILL, HEADER_FONT, WRAP
from kpi_agreements.agreements.models import KPI
from kpi_agreements.core.thai import be_date
from kpi_agreements.criteria.rows import LEVELS, criteria_rows, format_decimal, measure_rows
from kpi_agreements.documents.render import (
    DIRECTION_NAMES,
    FAILED,
    GLYPH_PRIMER,
    LEVEL_NAMES,
    METHOD_NAMES,
    FontsOnlyFetcher,
    font_files,
    thai_digits_html,
)

from .models import ReportItem, RoundReport
from .services.cards import SELF, VERIFIED, card_items, result_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FOUR = Decimal("0.0001")
SCORE_FORMAT = "0.0000"
BASIS_NAMES = {SELF: "ผลการประเมินตนเอง", VERIFIED: "ผลการตรวจสอบ"}
NOT_VERIFIED = "ยังไม่ผ่านการตรวจสอบ"
LATER_ROUND = "เริ่มรายงานรอบถัดไป"
CANCELLED = "ยกเลิกตัวชี้วัด"
NOT_REPORTED = "ไม่ได้รายงานผล"
NOT_SUBMITTED = "ยังไม่ส่งรายงาน"
DASH = "–"


def four(value) -> str:
    """A stored figure with its 4 places ("3.5000"); "" where the card has none."""
    number = _decimal(value)
    return "" if number is None else str(number.quantize(FOUR))


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _number(value) -> str:
    number = _decimal(_text(value))
    return format_decimal(number) if number is not None else _text(value)


def round_name(months: int) -> str:
    return f"รอบ {months} เดือน"


# --- what a KPI needs and what it did, in words ----------------------------------------------------------


def target_words(item: ReportItem, policy) -> str:
    """The level-3 criterion (§8 "target"): the number for numeric methods, a short text for the others."""
    if not item.is_leaf:
        return ""
    try:
        needed = scoring.required_result(item.method, item.criteria, 3, policy)
    except scoring.ScoringError:
        return DASH
    if item.method == "quantitative":
        return format_decimal(needed)
    if item.method == "multi_quantitative":
        names = [m["name"] for m in measure_rows(item.method, item.criteria)]
        return "; ".join(f"{name} {format_decimal(t)}" for name, t in zip(names, needed, strict=False))
    if item.method == "pass_fail":
        return "สำเร็จ" if needed is not None else DASH
    return "ระดับ 3"  # milestone, qualitative: the level's text is in the KPI Template (the SAR prints it)


def milestone_level(result) -> int:
    """The highest level whose steps, and all lower levels' steps, are done (levels are cumulative)."""
    reached = 0
    for ticks in (result or {}).get("done") or []:
        if not ticks or not all(ticks):
            break
        reached += 1
    return reached


def result_words(item: ReportItem, result) -> str:
    """The result as a person reads it: the actual, the actuals, the level reached, pass/fail, the level."""
    if not item.is_leaf:
        return ""
    if result is None:
        return NOT_REPORTED
    method = item.method
    if method == "quantitative":
        return _number(result.get("actual"))
    if method == "multi_quantitative":
        names = [m["name"] for m in measure_rows(method, item.criteria)]
        actuals = result.get("actuals") or []
        return "; ".join(f"{name} {_number(v)}" for name, v in zip(names, actuals, strict=False))
    if method == "milestone":
        level = milestone_level(result)
        return f"ดำเนินการถึงระดับ {level}" if level else "ยังไม่ถึงระดับ 1"
    if method == "pass_fail":
        return "สำเร็จ" if result.get("passed") else FAILED
    return f"ระดับ {_text(result.get('level'))}"


# --- the e-SAR card ----------------------------------------------------------------------------------------


@dataclass
class CardRow:
    item: ReportItem
    depth: int
    weight: str  # as the card stores it, 4 places
    baseline: list[str]
    target: str
    result: str
    score: str
    weighted: str
    missing: bool = False

    @property
    def weight_shown(self) -> str:
        number = _decimal(self.weight)
        return format_decimal(number) if number is not None else ""


@dataclass
class Card:
    report: RoundReport
    basis: str
    card: dict
    years: list[str]
    groups: list[dict] = field(default_factory=list)
    rows: list[CardRow] = field(default_factory=list)
    later: list[ReportItem] = field(default_factory=list)
    cancelled: list[KPI] = field(default_factory=list)

    @property
    def not_verified(self) -> bool:
        return self.basis == VERIFIED and self.report.status != RoundReport.Status.VERIFIED

    @property
    def subtotal(self) -> str:
        return four(self.card.get("subtotal"))

    @property
    def penalty(self) -> str:
        return four(self.card.get("penalty"))

    @property
    def total(self) -> str:
        return four(self.card.get("total"))


def baseline_years(items, fiscal_year) -> list[str]:
    """The past years any KPI reports, as columns; the three years before this one if none does."""
    years = {_text(row.get("year")) for i in items for row in (i.baseline or []) if isinstance(row, dict)}
    years.discard("")
    if not years:
        return [str(fiscal_year.be_year - n) for n in (3, 2, 1)]
    return sorted(years, key=lambda y: (len(y), y))


def baseline_values(item: ReportItem, years: list[str]) -> list[str]:
    values = {
        _text(r.get("year")): _text(r.get("value")) for r in (item.baseline or []) if isinstance(r, dict)
    }
    return [values.get(year) or DASH for year in years]


def build_card(report: RoundReport, basis: str) -> Card:
    """The card's rows, grouped by dimension, from the stored card; the KPIs outside it listed apart."""
    policy = report.round.fiscal_year.policy
    items = list(report.items.select_related("dimension").order_by("order", "id"))
    stored = (report.verified_card if basis == VERIFIED else report.self_card) or {}
    kpis = stored.get("kpis") or {}
    counted = card_items(items)
    years = baseline_years(counted, report.round.fiscal_year)
    card = Card(report=report, basis=basis, card=stored, years=years)
    for item in counted:
        figures = kpis.get(item.code) or {}
        card.rows.append(
            CardRow(
                item=item,
                depth=item.code.count("."),
                weight=four(figures.get("weight", item.weight if item.is_leaf else None)),
                baseline=baseline_values(item, years),
                target=target_words(item, policy),
                result=result_words(item, result_of(item, basis)),
                score=four(figures.get("score")),
                weighted=four(figures.get("weighted")),
                missing=bool(figures.get("missing")),
            )
        )
    dimensions = {i.dimension_id: i.dimension for i in counted}
    for dimension in sorted(dimensions.values(), key=lambda d: (d.order, d.pk)):
        figures = (stored.get("dimensions") or {}).get(str(dimension.pk)) or {}
        card.groups.append(
            {
                "dimension": dimension,
                "weight": four(figures.get("weight")),
                "weight_shown": _number(figures.get("weight")),
                "score": four(figures.get("score")),
                "weighted": four(figures.get("weighted")),
                "rows": [r for r in card.rows if r.item.dimension_id == dimension.pk],
            }
        )
    card.later = [i for i in items if i.is_leaf and i.later_round]
    in_report = {i.kpi_id for i in items}
    card.cancelled = [
        k
        for k in KPI.objects.filter(
            agreement=report.agreement_id, cancelled_from_round__lte=report.round.months
        ).order_by("dimension__order", "order", "pk")
        if k.pk not in in_report
    ]
    for kpi in (*card.later, *card.cancelled):
        kpi.weight_shown = format_decimal(kpi.weight)
    return card


def header(report: RoundReport) -> dict:
    round = report.round
    submitted = timezone.localtime(report.submitted_at).date() if report.submitted_at else None
    return {
        "unit": report.agreement.unit,
        "fiscal_year": round.fiscal_year,
        "round_name": round_name(round.months),
        "period_start": be_date(round.period_start, full=True),
        "period_end": be_date(round.period_end, full=True),
        "submitted_on": be_date(submitted, full=True) if submitted else NOT_SUBMITTED,
        "days_late": report.days_late,
        "printed_on": be_date(timezone.localdate(), full=True),
    }


def _fonts() -> dict:
    fonts = font_files()
    return {
        "glyph_primer": GLYPH_PRIMER,
        "font_regular": fonts["regular"].as_uri(),
        "font_bold": fonts["bold"].as_uri(),
    }


def _pdf(template: str, context: dict, *, thai_digits: bool) -> bytes:
    with translation.override("th"):
        html = render_to_string(template, {**context, **_fonts(), "thai_digits": thai_digits})
    if thai_digits:
        html = thai_digits_html(html)
    fetcher = FontsOnlyFetcher(list(font_files().values()))
    return HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=FontConfiguration())


def _report(report: RoundReport) -> RoundReport:
    """The report fresh from the database, with what every document prints in one query."""
    return RoundReport.objects.select_related("round__fiscal_year", "agreement__unit__head").get(pk=report.pk)


def render_card_pdf(report: RoundReport, *, basis: str = SELF, thai_digits: bool = False) -> bytes:
    report = _report(report)
    card = build_card(report, basis)
    context = {
        **header(report),
        "report": report,
        "card": card,
        "basis_name": BASIS_NAMES[basis],
        "markers": {"not_verified": NOT_VERIFIED, "later": LATER_ROUND, "cancelled": CANCELLED},
    }
    return _pdf("reporting/pdf_card.html", context, thai_digits=thai_digits)


# --- the e-SAR card as a workbook --------------------------------------------------------------------------

CARD_SHEET = "บัตรคะแนน e-SAR"
BOLD = Font(name=FONT.name, sz=FONT.sz, family=2, bold=True)
RED_BOLD = Font(name=FONT.name, sz=FONT.sz, family=2, bold=True, color="B00000")
CENTER = Alignment(horizontal="center", vertical="top")


def render_card_xlsx(report: RoundReport, *, basis: str = SELF) -> bytes:
    """The same card in one sheet: scores as numbers ('0.0000'), the same figures as the PDF."""
    report = _report(report)
    card = build_card(report, basis)
    head = header(report)
    wb = Workbook()
    ws = wb.active
    ws.title = CARD_SHEET
    years = card.years
    columns = [
        "ลำดับ",
        "ตัวชี้วัด",
        "หน่วยวัด",
        "น้ำหนัก",
        *[f"ข้อมูลพื้นฐาน {y}" for y in years],
        "เป้าหมาย (ระดับ 3)",
        "ผลการดำเนินงาน",
        "คะแนนที่ได้",
        "คะแนนถ่วงน้ำหนัก",
        "หมายเหตุ",
    ]
    width = len(columns)

    def put(row: int, values: list, *, font=None) -> None:
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.font = font or FONT
            if isinstance(value, Decimal):
                cell.number_format = SCORE_FORMAT
            elif isinstance(value, Baseline):
                cell.value, cell.number_format = Decimal(value), "General"

    put(1, [f"บัตรคะแนน (e-SAR Card) {BASIS_NAMES[basis]}"], font=BOLD)
    lines = [
        f"{head['unit'].name_th} ประจำปีงบประมาณ พ.ศ. {head['fiscal_year'].be_year} {head['round_name']}",
        f"ระยะเวลา {head['period_start']} ถึง {head['period_end']}",
        f"วันที่ส่งรายงาน {head['submitted_on']} ส่งล่าช้า {head['days_late']} วันทำการ",
    ]
    for offset, line in enumerate(lines, start=2):
        put(offset, [line])
    row = len(lines) + 2
    if card.not_verified:
        put(row, [NOT_VERIFIED], font=RED_BOLD)
        row += 1
    row += 1
    for col, title in enumerate(columns, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    header_row = row
    for group in card.groups:
        row += 1
        dim = group["dimension"]
        put(
            row,
            [
                "",
                f"มิติที่ {dim.order} {dim.name_th}",
                "",
                _decimal(group["weight"]),
                *[""] * len(years),
                "",
                "",
                _decimal(group["score"]),
                _decimal(group["weighted"]),
                "",
            ],
            font=BOLD,
        )
        for r in group["rows"]:
            row += 1
            item = r.item
            put(
                row,
                [
                    item.code,
                    ("  " * r.depth) + item.name,
                    item.unit_of_measure,
                    _decimal(r.weight),
                    *[_baseline_number(v) for v in r.baseline],
                    r.target,
                    r.result,
                    _decimal(r.score),
                    _decimal(r.weighted),
                    NOT_REPORTED if r.missing else "",
                ],
            )
    for label, value in [
        ("คะแนนรวม", card.subtotal),
        (f"หักคะแนนส่งล่าช้า ({report.days_late} วันทำการ)", card.penalty),
        ("คะแนนสุทธิ", card.total),
    ]:
        row += 1
        put(row, ["", label, *[""] * (width - 4), _decimal(value), ""], font=BOLD)
    for title, rows in [
        (
            LATER_ROUND,
            [[i.code, i.name, i.unit_of_measure, _decimal(four(i.weight)), LATER_ROUND] for i in card.later],
        ),
        (
            CANCELLED,
            [
                ["", k.name, k.unit_of_measure, _decimal(four(k.weight)), _cancelled_note(k)]
                for k in card.cancelled
            ],
        ),
    ]:
        if rows:
            row += 2
            put(row, [title], font=BOLD)
            for values in rows:
                row += 1
                put(row, [*values[:4], *[""] * (width - 5), values[4]])
    for col in range(1, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = {1: 8, 2: 48, 3: 12}.get(col, 14)
    for cells in ws.iter_rows(min_row=header_row + 1, max_row=row):
        for cell in cells:
            cell.alignment = WRAP if cell.column == 2 else CENTER
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class Baseline(str):
    """A past year's figure that reads as a number: written as one, as the unit typed it (no 4 places)."""


def _baseline_number(value: str):
    return Baseline(value) if _decimal(value) is not None else value


def _cancelled_note(kpi: KPI) -> str:
    return f"{CANCELLED} ตั้งแต่{round_name(kpi.cancelled_from_round)}"


# --- the SAR -----------------------------------------------------------------------------------------------


@dataclass
class SarKpi:
    item: ReportItem
    weight: str
    result: str
    score: str
    weighted: str
    missing: bool
    cells: list[list[str]]
    measures: list[dict]
    evidence: list[str]

    @property
    def method_name(self) -> str:
        return METHOD_NAMES.get(self.item.method, self.item.method)

    @property
    def direction_name(self) -> str:
        if self.item.method in ("quantitative", "multi_quantitative"):
            return DIRECTION_NAMES.get(self.item.direction, "")
        return ""

    @property
    def level_rows(self) -> list[tuple[int, str, list[str]]]:
        return [(k, LEVEL_NAMES[k], cell) for k, cell in zip(LEVELS, self.cells, strict=False)]


def build_sar(report: RoundReport) -> list[SarKpi]:
    """Every KPI of the report in reading order, with its self-assessed figures from the stored card."""
    policy = report.round.fiscal_year.policy
    items = list(
        report.items.select_related("kpi", "dimension").prefetch_related("evidence").order_by("order", "id")
    )
    kpis = (report.self_card or {}).get("kpis") or {}
    out = []
    for item in items:
        figures = kpis.get(item.code) or {}
        out.append(
            SarKpi(
                item=item,
                weight=format_decimal(item.weight) if item.is_leaf else _number(figures.get("weight")),
                result=result_words(item, item.result),
                score=four(figures.get("score")),
                weighted=four(figures.get("weighted")),
                missing=bool(figures.get("missing")),
                cells=criteria_rows(item.method, item.criteria, policy=policy, failed=FAILED)
                if item.is_leaf
                else [],
                measures=measure_rows(item.method, item.criteria),
                evidence=[e.name for e in item.evidence.all()],
            )
        )
    return out


def render_sar_pdf(report: RoundReport, *, thai_digits: bool = False) -> bytes:
    report = _report(report)
    context = {
        **header(report),
        "report": report,
        "head": report.agreement.unit.head,
        "kpis": build_sar(report),
        "card": report.self_card or {},
        "subtotal": four((report.self_card or {}).get("subtotal")),
        "penalty": four((report.self_card or {}).get("penalty")),
        "total": four((report.self_card or {}).get("total")),
        "level_names": [(k, LEVEL_NAMES[k]) for k in LEVELS],
        "markers": {"later": LATER_ROUND},
    }
    return _pdf("reporting/pdf_sar.html", context, thai_digits=thai_digits)
