"""The agreement as a PDF in the official layout (DOMAIN §5, §10), rendered by WeasyPrint.

The document is an official Thai artefact: its wording is Thai constants in the template, not gettext, and
dates are Buddhist-Era whatever language the requesting user reads the site in.
"""

import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

import fontpkg
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from kpi_agreements.agreements.models import KPI, Agreement, Party
from kpi_agreements.agreements.selectors import format_weight, outline
from kpi_agreements.core.thai import THAI_DIGITS, be_date
from kpi_agreements.criteria.labels import DIRECTION_LABELS, METHOD_LABELS, in_thai
from kpi_agreements.criteria.rows import LEVELS, criteria_rows, measure_rows

# WeasyPrint reports every rendering step at INFO; the project logs INFO, so keep its progress quiet.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

LEVEL_NAMES = {
    5: "ดีกว่าเป้าหมายมาก",
    4: "ดีกว่าเป้าหมาย",
    3: "เป็นไปตามเป้าหมาย",
    2: "ต่ำกว่าเป้าหมาย",
    1: "ต่ำกว่าเป้าหมายมาก",
}
METHOD_NAMES = in_thai(METHOD_LABELS)
DIRECTION_NAMES = in_thai(DIRECTION_LABELS)
ROLE_NAMES = {
    Party.Role.PLEDGOR: "ผู้ทำคำรับรอง",
    Party.Role.RECIPIENT: "ผู้รับคำรับรอง",
    Party.Role.CO_SIGNER: "ผู้ร่วมรับคำรับรอง",
}
FAILED = "ไม่สำเร็จ"

# WeasyPrint maps each glyph to the text of the first cluster it is drawn in. HarfBuzz draws ำ (SARA AM) as
# two glyphs, ํ + า, in one cluster (tone marks moved in between), so once "คำ" came first every later า
# would copy and search as ำ ("การ" → "กำร"). Drawing every Thai mark in a cluster of its own first, off
# the page where no reader or pdftotext sees it, gives each glyph its own character; ำ then reads as ํ + า.
GLYPH_PRIMER = "า " + " ".join(
    base + upper + tone
    for base in "กปฎญ"
    for upper in ("", "ิ", "ี", "ึ", "ื", "ั", "ํ", "ุ", "ู")
    for tone in ("", "่", "้", "๊", "๋", "์")
)


def font_files() -> dict[str, Path]:
    regular = Path(fontpkg.path("Sarabun"))
    return {"regular": regular, "bold": regular.with_name("Sarabun-Bold.ttf")}


class FontsOnlyFetcher(URLFetcher):
    """The document needs nothing but the Sarabun files: refuse every other URL (no file or network
    access steered by what users typed)."""

    def __init__(self, allowed: list[Path]):
        super().__init__(allowed_protocols=("file",))
        self._allowed = {p.resolve() for p in allowed}

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file" or Path(unquote(parts.path)).resolve() not in self._allowed:
            raise ValueError(f"not fetched in an agreement PDF: {url}")
        return super().fetch(url, headers)


# Tags, comments, <style>/<script> bodies and character references keep their ASCII digits.
_NOT_TEXT = re.compile(
    r"(<style\b.*?</style\s*>|<script\b.*?</script\s*>|<!--.*?-->|<[^>]*>|&#?[0-9A-Za-z]+;)",
    re.DOTALL | re.IGNORECASE,
)


def thai_digits_html(html: str) -> str:
    """Thai digits in the text of an HTML document only: markup, CSS and URLs are left alone."""
    parts = _NOT_TEXT.split(html)
    return "".join(part if i % 2 else part.translate(THAI_DIGITS) for i, part in enumerate(parts))


@dataclass
class Signatory:
    role: str
    role_name: str
    name: str
    position: str
    signed_on: str = ""  # B.E. date, empty while unsigned


@dataclass
class Row:
    """One KPI in the part 3 table: five criteria cells (each a list of lines) or sub-rows of measures."""

    kpi: KPI
    weight: str
    baseline: list[str]
    cells: list[list[str]] = field(default_factory=list)
    measures: list[dict] = field(default_factory=list)
    from_children: bool = False

    @property
    def method_name(self) -> str:
        return METHOD_NAMES.get(self.kpi.method, self.kpi.method)

    @property
    def direction_name(self) -> str:
        if self.kpi.method in ("quantitative", "multi_quantitative"):
            return DIRECTION_NAMES.get(self.kpi.direction, "")
        return ""

    @property
    def level_rows(self) -> list[tuple[int, str, list[str]]]:
        return [(k, LEVEL_NAMES[k], cell) for k, cell in zip(LEVELS, self.cells, strict=False)]

    @property
    def contacts(self) -> list[tuple[str, object]]:
        return [("ผู้กำกับดูแลตัวชี้วัด", self.kpi.supervisor), ("ผู้จัดเก็บข้อมูล", self.kpi.collector)]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def baseline_years(kpis: list[KPI], fiscal_year) -> list[str]:
    """The past years any KPI reports, as table columns; the three years before this one if none does."""
    years = {_text(row.get("year")) for k in kpis for row in (k.baseline or []) if isinstance(row, dict)}
    years.discard("")
    if not years:
        return [str(fiscal_year.be_year - n) for n in (3, 2, 1)]
    return sorted(years, key=lambda y: (len(y), y))


def baseline_values(kpi: KPI, years: list[str]) -> list[str]:
    values = {
        _text(row.get("year")): _text(row.get("value"))
        for row in (kpi.baseline or [])
        if isinstance(row, dict)
    }
    return [values.get(year) or "–" for year in years]


def signatories(parties: list[Party]) -> list[Signatory]:
    out = []
    for party in parties:
        person = party.person
        if party.signed_at:
            signed_on = be_date(timezone.localtime(party.signed_at).date(), full=True)
            name, position = party.signed_name, party.signed_position
        else:
            signed_on = ""
            name = person.display_name if person else ""
            position = party.position or (person.position if person else "")
        out.append(Signatory(party.role, ROLE_NAMES.get(party.role, ""), name, position, signed_on))
    return out


def agreement_context(agreement: Agreement, *, draft: bool, thai_digits: bool) -> dict:
    """Everything the template prints, in a fixed number of queries."""
    # The document is the current version: KPIs cancelled by an approved change request are not part of it.
    kpis = outline(
        agreement.kpis.filter(cancelled_from_round__isnull=True).select_related(
            "dimension", "supervisor", "collector", "cascaded_from__agreement__unit", "mandatory"
        )
    )
    fiscal_year = agreement.fiscal_year
    policy = fiscal_year.policy
    years = baseline_years(kpis, fiscal_year)
    rows = []
    for kpi in kpis:
        row = Row(kpi=kpi, weight=format_weight(kpi.weight), baseline=baseline_values(kpi, years))
        if kpi.child_list:
            row.from_children = True
        elif kpi.method == "multi_quantitative":
            row.measures = measure_rows(kpi.method, kpi.criteria)
        else:
            row.cells = criteria_rows(kpi.method, kpi.criteria, policy=policy, failed=FAILED)
        rows.append(row)
    groups = []
    for dimension in fiscal_year.dimensions.all():
        dim_rows = [r for r in rows if r.kpi.dimension_id == dimension.pk]
        if dim_rows:
            total = sum((r.kpi.weight for r in dim_rows if r.kpi.depth == 0), Decimal(0))
            groups.append({"dimension": dimension, "rows": dim_rows, "weight": format_weight(total)})
    total = sum((r.kpi.weight for r in rows if r.kpi.depth == 0), Decimal(0))
    people = signatories(list(agreement.parties.select_related("person")))
    fonts = font_files()
    return {
        "agreement": agreement,
        "unit": agreement.unit,
        "fiscal_year": fiscal_year,
        "period_start": be_date(fiscal_year.start, full=True),
        "period_end": be_date(fiscal_year.end, full=True),
        "pledgors": [s for s in people if s.role == Party.Role.PLEDGOR],
        "recipients": [s for s in people if s.role == Party.Role.RECIPIENT],
        "co_signers": [s for s in people if s.role == Party.Role.CO_SIGNER],
        "signatories": people,
        "groups": groups,
        "rows": rows,
        "years": years,
        "total_weight": format_weight(total),
        "level_names": [(k, LEVEL_NAMES[k]) for k in LEVELS],
        "method_names": METHOD_NAMES,
        "direction_names": DIRECTION_NAMES,
        "draft": draft,
        "thai_digits": thai_digits,
        "printed_on": be_date(timezone.localdate(), full=True),
        "glyph_primer": GLYPH_PRIMER,
        "font_regular": fonts["regular"].as_uri(),
        "font_bold": fonts["bold"].as_uri(),
    }


def render_agreement_html(agreement: Agreement, *, draft: bool, thai_digits: bool) -> str:
    with translation.override("th"):
        context = agreement_context(agreement, draft=draft, thai_digits=thai_digits)
        html = render_to_string("documents/agreement.html", context)
    return thai_digits_html(html) if thai_digits else html


def render_agreement_pdf(agreement: Agreement, *, draft: bool, thai_digits: bool) -> bytes:
    html = render_agreement_html(agreement, draft=draft, thai_digits=thai_digits)
    fetcher = FontsOnlyFetcher(list(font_files().values()))
    return HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=FontConfiguration())
