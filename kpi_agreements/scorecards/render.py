"""The scorecard and the dashboard as files (issue 12 item 6): PDF by WeasyPrint with Sarabun and the same SVG
charts as the page (documents/render.py sets up the fonts), Excel by openpyxl with scores as numbers
('0.0000'). The figures are the pages' own (views build the context); imported by the jobs only, since
WeasyPrint is heavy. Rendered in Thai (jobs.py), whatever language the requester reads the site in."""

import io
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from kpi_agreements.agreements.excel.layout import FONT, HEADER_ALIGNMENT, HEADER_FILL, HEADER_FONT
from kpi_agreements.core.thai import be_date
from kpi_agreements.documents.render import GLYPH_PRIMER, FontsOnlyFetcher, font_files

from .selectors import decimal, four
from .views.cards import scorecard_context
from .views.dashboard import dashboard_context

SCORE_FORMAT = "0.0000"
BOLD = Font(name=FONT.name, sz=FONT.sz, family=2, bold=True)


def _pdf(template: str, context: dict) -> bytes:
    fonts = font_files()
    html = render_to_string(
        template,
        {
            **context,
            "glyph_primer": GLYPH_PRIMER,
            "font_regular": fonts["regular"].as_uri(),
            "font_bold": fonts["bold"].as_uri(),
            "printed_on": be_date(timezone.localdate(), full=True),
        },
    )
    fetcher = FontsOnlyFetcher(list(fonts.values()))
    return HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=FontConfiguration())


def _with_cells(context: dict) -> dict:
    for row in context["rows"]:
        row.cells = row.dim_cells(context["dimensions"])
    return context


def scorecard_pdf(user, round, params) -> bytes:
    return _pdf("scorecards/pdf_scorecard.html", _with_cells(scorecard_context(user, round, params)))


def dashboard_pdf(user, round, params) -> bytes:
    return _pdf("scorecards/pdf_dashboard.html", dashboard_context(user, round, params))


# --- Excel ------------------------------------------------------------------------------------------------


def _sheet(ws, title_lines: list[str], columns: list[str], rows: list[list]) -> None:
    """Title lines, a header row, then the rows; Decimals as numbers with 4 places."""
    for r, line in enumerate(title_lines, start=1):
        ws.cell(row=r, column=1, value=str(line)).font = BOLD if r == 1 else FONT
    header = len(title_lines) + 2
    for c, title in enumerate(columns, start=1):
        cell = ws.cell(row=header, column=c, value=str(title))
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    for r, values in enumerate(rows, start=header + 1):
        for c, value in enumerate(values, start=1):
            if not isinstance(value, int | Decimal | str | None):
                value = str(value)  # a lazy label (a status, a flag)
            cell = ws.cell(row=r, column=c, value=value)
            cell.font = FONT
            if isinstance(value, Decimal):
                cell.number_format = SCORE_FORMAT
    for c in range(1, len(columns) + 1):
        ws.column_dimensions[get_column_letter(c)].width = 40 if c == 2 else 14
    ws.freeze_panes = ws.cell(row=header + 1, column=3)


def _title(context: dict, what: str) -> list[str]:
    unit = context["params"].unit
    lines = [f"{what} {context['round']}", f"{_('Figures')}: {context['basis_label']}"]
    if unit is not None:
        lines.append(f"{_('Units under')} {unit.name_th} ({unit.abbreviation})")
    if context.get("not_verified"):
        lines.append(_("Reports not yet verified are shown with their self-assessed figures (marked *)."))
    return lines


def _unit_values(row) -> list:
    return [
        row.rank,
        row.name_th + (" *" if row.not_verified else ""),
        row.abbreviation,
        row.type_name,
        row.depth,
        row.missing_label if not row.has_report else row.status_label,
        row.days_late if row.submitted else None,
        decimal(row.penalty_text),
        decimal(row.total_text),
    ]


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def scorecard_xlsx(user, round, params) -> bytes:
    context = scorecard_context(user, round, params)
    dimensions = context["dimensions"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Scorecard")[:31]
    columns = [
        _("Rank"),
        _("Unit"),
        _("Abbreviation"),
        _("Unit type"),
        _("Level"),
        _("Status"),
        _("Working days late"),
        _("Late penalty"),
        _("Total"),
        *[_("Dimension %(order)s") % {"order": d.order} for d in dimensions],
        _("Eligible for incentives"),
        _("Incentive tier"),
        _("Site-visit flags"),
    ]
    rows = []
    for row in context["rows"]:
        rows.append(
            [
                *_unit_values(row),
                *[decimal(four(row.dims.get(d.pk))) if row.has_report else None for d in dimensions],
                (_("Yes") if row.is_eligible else _("No")) if row.ranked else None,
                row.tier.name_th if row.tier else None,
                ", ".join(str(f) for f in row.flag_labels) or None,
            ]
        )
    _sheet(ws, _title(context, _("Scorecard")), columns, rows)
    return _save(wb)


def dashboard_xlsx(user, round, params) -> bytes:
    context = dashboard_context(user, round, params)
    summary, previous = context["summary"], context["previous"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]
    figures = [
        (_("Units in scope"), "units"),
        (_("Reported"), "reported"),
        (_("On time"), "on_time"),
        (_("Late"), "late"),
        (_("Being entered"), "entering"),
        (_("No report"), "missing"),
        (_("Verified"), "verified"),
        (_("Mean of the totals"), "mean"),
        (_("Eligible for incentives"), "eligible"),
        (_("Eligible, per cent of units"), "eligible_share"),
        (_("Flagged for site visits"), "flagged"),
    ]
    columns = [_("Figure"), str(round.fiscal_year)]
    if previous is not None:
        columns.append(str(context["previous_round"].fiscal_year))
    rows = []
    for label, key in figures:
        values = [label, _cell(summary[key])]
        if previous is not None:
            values.append(_cell(previous[key]))
        rows.append(values)
    _sheet(ws, _title(context, _("Executive dashboard")), columns, rows)

    ws = wb.create_sheet(_("Distribution")[:31])
    columns = [_("Total"), str(round.fiscal_year)] + ([columns[2]] if previous is not None else [])
    rows = []
    for i, band in enumerate(context["bands"]):
        values = [band["label"], band["count"]]
        if previous is not None:
            values.append(previous["bands"][i]["count"])
        rows.append(values)
    _sheet(ws, [_("Units by total, in bands of 0.5")], columns, rows)

    ws = wb.create_sheet(_("Incentive tiers")[:31])
    _sheet(
        ws,
        [_("Units by incentive tier")],
        [_("Incentive tier"), _("Units")],
        [list(r) for r in context["tier_rows"]],
    )

    ws = wb.create_sheet(_("Ranking")[:31])
    columns = [
        _("Rank"),
        _("Unit"),
        _("Abbreviation"),
        _("Unit type"),
        _("Level"),
        _("Status"),
        _("Working days late"),
        _("Late penalty"),
        _("Total"),
        _("Previous year"),
        _("Change"),
    ]
    rows = [
        [
            *_unit_values(r),
            decimal(four(r.previous_total)) if r.previous_ranked else None,
            decimal(r.change_text),
        ]
        for r in context["ranking"]
    ]
    _sheet(ws, [_("Ranking")], columns, rows)

    ws = wb.create_sheet(_("Site-visit flags")[:31])
    rows = [[r.name_th, r.abbreviation, ", ".join(str(f) for f in r.flag_labels)] for r in context["flagged"]]
    _sheet(
        ws, [_("Units flagged for site visits")], [_("Unit"), _("Abbreviation"), _("Site-visit flags")], rows
    )
    return _save(wb)


def _cell(value):
    """A dashboard figure for a cell: counts as numbers, the mean as a Decimal, a share as a number."""
    if value is None or value == "–":
        return None
    if isinstance(value, str):
        return decimal(value)
    return value
