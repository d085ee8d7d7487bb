"""The KPI Template workbook's layout (DOMAIN §6, §10): what the export writes and the import reads back.

Sheet names and column headers are Thai constants, not gettext: the workbook is an official Thai artefact
and an uploaded file must match them whatever the uploader's language. Messages to the user (the upload
report) go through gettext.

The agreement workbook (``export.agreement_workbook``)
------------------------------------------------------
``ตัวชี้วัด`` (KPIs), one row per KPI in reading order (``selectors.outline``):

  รหัส | ลำดับ | มิติ | ลำดับตัวชี้วัดหลัก | ชื่อตัวชี้วัด | น้ำหนัก | หน่วยนับ | วิธีการให้คะแนน | ทิศทาง |
  คำอธิบาย | สูตรการคำนวณ | เงื่อนไข | ข้อมูลพื้นฐาน ปี <be-3> | … ปี <be-2> | … ปี <be-1> | แหล่งข้อมูล |
  วิธีการจัดเก็บข้อมูล | ผู้กำกับดูแลตัวชี้วัด (ชื่อผู้ใช้) | ผู้จัดเก็บข้อมูล (ชื่อผู้ใช้)

- ``รหัส`` is the KPI's id: it says which KPI a row updates; blank means a new KPI. Never typed by hand.
- ``ลำดับ`` (1, 1.1 …) is the row's key inside the file: ``ลำดับตัวชี้วัดหลัก`` (parent) and the criteria
  sheets refer to it. A parent must be listed above its sub-KPIs. After the upload the system renumbers the
  KPIs in sheet order, so the key need not match the final number.
- ``มิติ``, ``วิธีการให้คะแนน`` and ``ทิศทาง`` are drop-down lists (from the hidden sheet ``รายการ``); the
  method and direction are written as Thai labels, and codes (``quantitative``, ``higher``) are accepted too.
  A sub-KPI takes its parent's dimension (its cell may be left blank).
- A parent KPI's weight is the sum of its sub-KPIs' (DOMAIN §4) and is recomputed after the upload.
- The baseline columns are the three fiscal years before the agreement's (B.E. years in the headers).

One sheet per scoring method holds the criteria (DOMAIN §7), each row starting with the KPI's ``ลำดับ``:

  ``เกณฑ์เชิงปริมาณ``          ลำดับ | ระดับ 1 … ระดับ 5 (thresholds t1..t5)              one row per KPI
  ``เกณฑ์หลายตัวชี้วัดย่อย``     ลำดับ | ชื่อตัวชี้วัดย่อย | น้ำหนัก | ระดับ 1 … ระดับ 5       one row per measure
  ``เกณฑ์ขั้นตอน``             ลำดับ | ระดับ (1–5) | ขั้นตอนการดำเนินงาน                   one row per step
  ``เกณฑ์ผ่านไม่ผ่าน``          ลำดับ | เงื่อนไขความสำเร็จ                                one row per KPI
  ``เกณฑ์เชิงคุณภาพ``           ลำดับ | คำอธิบายระดับ 1 … คำอธิบายระดับ 5                 one row per KPI

A leaf KPI without criteria gets an empty placeholder row to fill in; rows with nothing but the key (and, for
milestones, the level) are ignored on upload.

The year workbook (``export.year_workbook``): a year's KPIs in one sheet (``YEAR_COLUMNS``).
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from openpyxl.styles import Alignment, Font, PatternFill

from kpi_agreements.criteria.labels import DIRECTION_LABELS, METHOD_LABELS, in_thai

MAX_ROWS = 5000  # data rows per sheet
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FONT_NAME = "TH Sarabun New"
FONT = Font(name=FONT_NAME, sz=14, family=2)
HEADER_FONT = Font(name=FONT_NAME, sz=14, family=2, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
TEXT_FORMAT = "@"

# --- Thai sheet names and headers ---------------------------------------------------------------------

SHEET_KPIS = "ตัวชี้วัด"
SHEET_QUANTITATIVE = "เกณฑ์เชิงปริมาณ"
SHEET_MULTI = "เกณฑ์หลายตัวชี้วัดย่อย"
SHEET_MILESTONE = "เกณฑ์ขั้นตอน"
SHEET_PASS_FAIL = "เกณฑ์ผ่านไม่ผ่าน"
SHEET_QUALITATIVE = "เกณฑ์เชิงคุณภาพ"
SHEET_LISTS = "รายการ"
SHEET_YEAR = "ตัวชี้วัด ปีงบประมาณ {year}"

H_ID = "รหัส"
H_NUMBER = "ลำดับ"
H_DIMENSION = "มิติ"
H_PARENT = "ลำดับตัวชี้วัดหลัก"
H_NAME = "ชื่อตัวชี้วัด"
H_WEIGHT = "น้ำหนัก"
H_UNIT_OF_MEASURE = "หน่วยนับ"
H_METHOD = "วิธีการให้คะแนน"
H_DIRECTION = "ทิศทาง"
H_DESCRIPTION = "คำอธิบาย"
H_FORMULA = "สูตรการคำนวณ"
H_CONDITIONS = "เงื่อนไข"
H_BASELINE = "ข้อมูลพื้นฐาน ปี {year}"
H_DATA_SOURCE = "แหล่งข้อมูล"
H_COLLECTION_METHOD = "วิธีการจัดเก็บข้อมูล"
H_SUPERVISOR = "ผู้กำกับดูแลตัวชี้วัด (ชื่อผู้ใช้)"
H_COLLECTOR = "ผู้จัดเก็บข้อมูล (ชื่อผู้ใช้)"
H_THRESHOLD = "ระดับ {level}"
H_MEASURE_NAME = "ชื่อตัวชี้วัดย่อย"
H_LEVEL = "ระดับ"
H_STEP = "ขั้นตอนการดำเนินงาน"
H_CONDITION = "เงื่อนไขความสำเร็จ"
H_LEVEL_TEXT = "คำอธิบายระดับ {level}"
# The year workbook
H_UNIT_ABBREVIATION = "ชื่อย่อหน่วยงาน"
H_UNIT_NAME = "หน่วยงาน"
H_MANDATORY = "ตัวชี้วัดภาคบังคับ"
H_SUPERVISOR_NAME = "ผู้กำกับดูแลตัวชี้วัด"
H_COLLECTOR_NAME = "ผู้จัดเก็บข้อมูล"

METHOD_LABELS_TH = in_thai(METHOD_LABELS)
DIRECTION_LABELS_TH = in_thai(DIRECTION_LABELS)
DV_ERROR_TITLE = "ค่าไม่อยู่ในรายการ"
DV_ERROR = "กรุณาเลือกจากรายการ"
HEADER_NOTES = {
    "id": "รหัสตัวชี้วัดในระบบ ห้ามแก้ไข เว้นว่างสำหรับตัวชี้วัดใหม่",
    "number": "ลำดับตัวชี้วัด เช่น 1 หรือ 1.1 ใช้อ้างอิงในคอลัมน์ตัวชี้วัดหลักและในแผ่นงานเกณฑ์",
    "parent": "ลำดับของตัวชี้วัดหลัก (ต้องอยู่แถวบน) เว้นว่างถ้าไม่ใช่ตัวชี้วัดย่อย",
    "weight": "น้ำหนักของตัวชี้วัดหลักคำนวณจากผลรวมของตัวชี้วัดย่อยโดยอัตโนมัติ",
    "supervisor": "ชื่อผู้ใช้ (username) ในระบบ",
    "collector": "ชื่อผู้ใช้ (username) ในระบบ",
}
NOTE_AUTHOR = "KPI Agreements"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    kind: str = "text"  # text | long (wrapped) | key (written as text) | number | integer


def kpi_columns(be_year: int) -> list[Column]:
    """The KPI sheet's columns; the baseline headers carry the three B.E. years before ``be_year``."""
    baseline = [
        Column(f"baseline_{y}", H_BASELINE.format(year=y), 14, "text") for y in baseline_years(be_year)
    ]
    return [
        Column("id", H_ID, 8, "integer"),
        Column("number", H_NUMBER, 8, "key"),
        Column("dimension", H_DIMENSION, 30),
        Column("parent", H_PARENT, 12, "key"),
        Column("name", H_NAME, 50, "long"),
        Column("weight", H_WEIGHT, 10, "number"),
        Column("unit_of_measure", H_UNIT_OF_MEASURE, 12),
        Column("method", H_METHOD, 24),
        Column("direction", H_DIRECTION, 16),
        Column("description", H_DESCRIPTION, 50, "long"),
        Column("formula", H_FORMULA, 40, "long"),
        Column("conditions", H_CONDITIONS, 40, "long"),
        *baseline,
        Column("data_source", H_DATA_SOURCE, 30, "long"),
        Column("collection_method", H_COLLECTION_METHOD, 30, "long"),
        Column("supervisor", H_SUPERVISOR, 22),
        Column("collector", H_COLLECTOR, 22),
    ]


def baseline_years(be_year: int) -> list[int]:
    return [be_year - 3, be_year - 2, be_year - 1]


def threshold_columns(width=12) -> list[Column]:
    return [Column(f"t{k}", H_THRESHOLD.format(level=k), width, "number") for k in range(1, 6)]


NUMBER_COLUMN = Column("number", H_NUMBER, 8, "key")
CRITERIA_SHEETS = {
    "quantitative": (SHEET_QUANTITATIVE, [NUMBER_COLUMN, *threshold_columns()]),
    "multi_quantitative": (
        SHEET_MULTI,
        [
            NUMBER_COLUMN,
            Column("name", H_MEASURE_NAME, 40, "long"),
            Column("weight", H_WEIGHT, 10, "number"),
            *threshold_columns(),
        ],
    ),
    "milestone": (
        SHEET_MILESTONE,
        [NUMBER_COLUMN, Column("level", H_LEVEL, 8, "integer"), Column("step", H_STEP, 70, "long")],
    ),
    "pass_fail": (SHEET_PASS_FAIL, [NUMBER_COLUMN, Column("condition", H_CONDITION, 70, "long")]),
    "qualitative": (
        SHEET_QUALITATIVE,
        [NUMBER_COLUMN, *[Column(f"l{k}", H_LEVEL_TEXT.format(level=k), 40, "long") for k in range(1, 6)]],
    ),
}


YEAR_COLUMNS = [
    Column("unit_abbreviation", H_UNIT_ABBREVIATION, 12),
    Column("unit_name", H_UNIT_NAME, 30),
    Column("id", H_ID, 8, "integer"),
    Column("number", H_NUMBER, 8, "key"),
    Column("dimension", H_DIMENSION, 30),
    Column("name", H_NAME, 50),
    Column("weight", H_WEIGHT, 10, "number"),
    Column("unit_of_measure", H_UNIT_OF_MEASURE, 12),
    Column("method", H_METHOD, 22),
    Column("direction", H_DIRECTION, 14),
    *threshold_columns(10),
    Column("mandatory", H_MANDATORY, 12),
    Column("supervisor", H_SUPERVISOR_NAME, 24),
    Column("collector", H_COLLECTOR_NAME, 24),
]


# --- cell values ----------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def parse_decimal_text(text: str) -> Decimal | None:
    text = text.strip()
    if _GROUPED.fullmatch(text):  # "1,250.50": Thai writing groups thousands with commas
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def plain(number: Decimal) -> str:
    """A decimal as the text the scoring engine stores: no exponent, no trailing ".0" from a float."""
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return format(number, "f")
