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

from kpi_agreements.agreements.models import KPI, Agreement, AgreementVersion, ChangeItem, Party
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


# --- line-break opportunities inside long Thai words ----------------------------------------------------
#
# Thai is written without spaces. Pango finds the word boundaries (libthai), but a word wider than a narrow
# cell of part 3 has none inside it and ran over into the next cell. Inside such words only, a zero-width
# space goes between syllable-like pieces, never inside a cluster: a consonant keeps its vowel signs, tone
# marks and silent letter, a leading vowel (เ แ โ ใ ไ) its consonant, a following vowel (ะ า ำ) its
# syllable. The CSS keeps ``overflow-wrap: anywhere`` as the last resort for what is still too wide.

ZWSP = "\u200b"
_LEADING = frozenset("เแโใไ")
_FOLLOWING = frozenset("ะาำๅ")
_ABOVE_BELOW = frozenset("ัิีึืุู็")
_TONES = frozenset("่้๊๋")
_NEVER_FINAL = frozenset("หอฮฉผฝ")  # letters that never close a syllable
_CLUSTER_SECOND = frozenset("รลว")  # ปร, กล, คว …
_LED_BY_HO = frozenset("งญนมยรลว")  # หน, หม … (ห นำ)
_SILENT = "\u0e4c"  # ์


def _consonant(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e2e"


def _thai(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e5b"


def thai_syllables(word: str) -> list[str]:
    """Syllable-like pieces of a Thai word, for line breaks only (joined they give the word back).

    A heuristic without a dictionary: a bare consonant after an open syllable is its final (สาร), one with a
    vowel sign begins the next (ณา), clusters stay whole (ประ, หน้า, โครง), so does ร หัน (กรรม); a lone
    consonant is never a piece of its own.
    """
    pieces: list[str] = []
    cur, vowel, final, complete, consonants = "", False, False, False, 0

    def start(ch: str) -> None:
        nonlocal cur, vowel, final, complete, consonants
        if cur:
            pieces.append(cur)
        cur, vowel, final = ch, ch in _LEADING, False
        complete, consonants = ch in "ใไ", int(_consonant(ch))

    i = 0
    while i < len(word):
        ch, nxt = word[i], word[i + 1 : i + 3]
        i += 1
        if ch in _LEADING:
            if cur and cur[-1] not in _LEADING:
                start(ch)
            else:
                cur, vowel, complete = cur + ch, True, complete or ch in "ใไ"
            continue
        if not _consonant(ch):  # marks, following vowels, digits, Latin: they stay where they are
            cur += ch
            if ch in _FOLLOWING or ch in _ABOVE_BELOW:
                vowel = True
                complete = complete or ch in "ะำ" or (ch == "า" and cur[:1] == "เ")
            continue
        lone = consonants == 1 and not vowel and not any(c in _LEADING for c in cur)
        first = next((c for c in cur if _consonant(c)), "")
        onset = nxt[:1] in _ABOVE_BELOW or nxt[:1] in _TONES or nxt[:1] in _FOLLOWING
        last = not any(_consonant(c) or c in _LEADING for c in word[i:])
        if not cur or cur[-1] in _LEADING or nxt[:1] == _SILENT or (nxt[:1] in "ิุ" and nxt[1:2] == _SILENT):
            cur, consonants = cur + ch, consonants + 1  # after a leading vowel; a silent letter (ตร์)
        elif ch == "ร" and nxt[:1] == "ร" and consonants and not vowel:
            cur, vowel, i = cur + "รร", True, i + 1  # ร หัน: กรรม
        elif cur[:1] in _LEADING and consonants == 1 and ch in _CLUSTER_SECOND and (onset or not last):
            cur, consonants = cur + ch, consonants + 1  # เปล-, โครง, แพร่
        elif onset:
            if lone and (ch in _CLUSTER_SECOND or (first == "ห" and ch in _LED_BY_HO) or first + ch == "อย"):
                cur, consonants = cur + ch, consonants + 1  # ประ, หน้า, อย่า
            else:
                start(ch)
        elif ch in "อว" and consonants and not vowel:
            cur, vowel = cur + ch, True  # the vowel of ร้อย, ส่วน
        elif lone:
            cur, consonants = cur + ch, consonants + 1  # an inherent vowel: สน, ผล
        elif (last or (vowel and not complete and ch not in _NEVER_FINAL)) and not final:
            cur, final = cur + ch, True
        else:
            start(ch)
    if cur:
        pieces.append(cur)
    merged: list[str] = []
    for piece in pieces:
        lone = (len(piece) == 1 and _consonant(piece)) or (
            merged and len(merged[-1]) == 1 and _consonant(merged[-1])
        )
        if merged and lone:
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _word_ends(text: str) -> list[int]:
    """Where Pango (libthai) may break a line: the word boundaries the renderer itself uses."""
    try:
        from weasyprint.text.line_break import get_log_attrs  # not public API: fall back to spaces
    except ImportError:  # pragma: no cover
        return [i for i in range(1, len(text)) if text[i - 1].isspace()]
    attrs = get_log_attrs(text, "th")
    return [i for i in range(1, len(text)) if attrs[i].is_line_break]


def breakable(text, limit: int) -> str:
    """``text`` with a zero-width space between the syllables of every Thai word longer than ``limit``
    spacing characters (about what the cell holds on one line); shorter words stay whole."""
    text = "" if text is None else str(text)
    if not any(_thai(ch) for ch in text):
        return text
    cuts = [0, *_word_ends(text), len(text)]
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        word = text[a:b]
        if sum(1 for ch in word if ch not in _ABOVE_BELOW and ch not in _TONES and ch not in "์ํ๎") > limit:
            out.append(ZWSP.join(thai_syllables(word)))
        else:
            out.append(word)
    return "".join(out)


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


# How many characters a line of each narrow column of part 3 holds (9.5 pt Sarabun); longer Thai words get
# break opportunities (``breakable``).
LEVEL_CHARS = 5
NAME_CHARS = 16
UNIT_CHARS = 4


@dataclass
class Row:
    """One KPI in the part 3 table: five criteria cells (each a list of lines) or sub-rows of measures.

    ``name``, ``unit`` and ``narrow_cells`` are the texts of the narrow part 3 columns, with line-break
    opportunities; part 4 prints the KPI's own fields and ``cells``.
    """

    kpi: KPI
    weight: str
    baseline: list[str]
    cells: list[list[str]] = field(default_factory=list)
    measures: list[dict] = field(default_factory=list)
    from_children: bool = False
    name: str = ""
    unit: str = ""

    @property
    def narrow_cells(self) -> list[list[str]]:
        return [[breakable(line, LEVEL_CHARS) for line in cell] for cell in self.cells]

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


@dataclass
class Amendment:
    """The change request behind a later version (DOMAIN §9): the resolution approving it, what changed."""

    number: int
    previous: int
    resolution: str  # "มติคณะกรรมการ… ที่ 9/2570 ลงวันที่ 20 มีนาคม 2570"
    effective_round: str
    changes: list[str]


def _weight_text(value) -> str:
    try:
        return format_weight(Decimal(str(value)))
    except ArithmeticError:
        return _text(value)


def _kpi_text(kpi: dict | None, fallback: str = "", now: dict | None = None) -> str:
    """A KPI as the version before numbered it, and its number in this version when that moved."""
    if not kpi:
        return fallback
    text = f"ตัวชี้วัดที่ {kpi.get('number', '')} {kpi.get('name', '')}".strip()
    if now and now.get("number") != kpi.get("number"):
        text += f" (ฉบับนี้ตัวชี้วัดที่ {now.get('number')})"
    return text


def amendment(agreement: Agreement) -> Amendment | None:
    """What the approved change request of the agreement's current version changed, from the frozen versions
    before and after it (AgreementVersion) and its items; None for a first version."""
    if agreement.version <= 1:
        return None
    versions = {
        v.number: v
        for v in AgreementVersion.objects.filter(
            agreement=agreement, number__in=(agreement.version - 1, agreement.version)
        ).select_related("change_request__resolution__committee")
    }
    current = versions.get(agreement.version)
    if current is None or current.change_request is None:
        return None
    change = current.change_request
    previous = versions.get(agreement.version - 1)
    before = {k["id"]: k for k in (previous.snapshot if previous else {}).get("kpis", [])}
    after = {k["id"]: k for k in (current.snapshot or {}).get("kpis", [])}
    changes, touched = [], set()
    for item in change.items.select_related("kpi", "dimension"):
        old, new = before.get(item.kpi_id), after.get(item.kpi_id)
        if item.kind == ChangeItem.Kind.ADD:
            added = next(
                (k for pk, k in after.items() if pk not in before and k.get("name") == item.name), None
            )
            text = f"เพิ่ม{_kpi_text(added, 'ตัวชี้วัด ' + item.name)}"
            if item.dimension:
                text += f" ในมิติที่ {item.dimension.order} {item.dimension.name_th}"
            if added:
                text += f" น้ำหนักร้อยละ {_weight_text(added.get('weight'))}"
            changes.append(text)
        elif item.kind == ChangeItem.Kind.CANCEL:
            touched.add(item.kpi_id)
            name = _kpi_text(old, item.kpi.name if item.kpi else "")
            changes.append(f"ยกเลิก{name} ตั้งแต่รอบ {change.effective_round} เดือน")
        else:
            touched.add(item.kpi_id)
            what = []
            if item.name and old and item.name != old.get("name"):
                what.append(f"ชื่อตัวชี้วัดเป็น “{item.name}”")
            if item.description:
                what.append("คำอธิบายตัวชี้วัด")
            if item.criteria is not None:
                what.append("เกณฑ์การให้คะแนน")
            if old and new and old.get("weight") != new.get("weight"):
                what.append(
                    f"น้ำหนักจากร้อยละ {_weight_text(old.get('weight'))} เป็น {_weight_text(new.get('weight'))}"
                )
            changes.append(
                f"แก้ไข{_kpi_text(old, item.kpi.name if item.kpi else '', new)}: {', '.join(what) or '–'}"
            )
    for pk, new in after.items():  # weights the change moved by the framework's redistribution rules (§4)
        old = before.get(pk)
        if old and pk not in touched and old.get("weight") != new.get("weight"):
            changes.append(
                f"ปรับน้ำหนัก{_kpi_text(old, now=new)} จากร้อยละ {_weight_text(old.get('weight'))} "
                f"เป็น {_weight_text(new.get('weight'))}"
            )
    resolution = change.resolution
    cited = ""
    if resolution is not None:
        committee = resolution.committee.name if resolution.committee_id else "คณะกรรมการ"
        cited = f"มติ{committee} ที่ {resolution.number} ลงวันที่ {be_date(resolution.date, full=True)}"
    return Amendment(
        number=agreement.version,
        previous=agreement.version - 1,
        resolution=cited,
        effective_round=f"รอบ {change.effective_round} เดือน",
        changes=changes,
    )


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
        row = Row(
            kpi=kpi,
            weight=format_weight(kpi.weight),
            baseline=baseline_values(kpi, years),
            name=breakable(kpi.name, NAME_CHARS),
            unit=breakable(kpi.unit_of_measure, UNIT_CHARS),
        )
        if kpi.child_list:
            row.from_children = True
        elif kpi.method == "multi_quantitative":
            row.measures = measure_rows(kpi.method, kpi.criteria)
            for m in row.measures:
                m["narrow_name"] = breakable(m["name"], NAME_CHARS)
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
        "amendment": amendment(agreement),
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
