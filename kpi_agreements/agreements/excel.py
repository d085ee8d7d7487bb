"""KPI Templates in Excel (DOMAIN §6, §10): download an agreement's workbook, fill it in, upload it back;
and a whole year's KPIs in one sheet for analysis.

Sheet names and column headers are Thai constants, not gettext: the workbook is an official Thai artefact
and an uploaded file must match them whatever the uploader's language. Messages to the user (the upload
report) go through gettext.

Layout of the agreement workbook (``agreement_workbook``)
---------------------------------------------------------
``ตัวชี้วัด`` (KPIs), one row per KPI in reading order (``services.outline``):

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
milestones, the level) are ignored on upload. A KPI with no criteria rows is saved with empty criteria (a
draft may be incomplete; submission checks it).

The upload (``import_workbook``) checks every sheet, row and cell first and lists every problem with its
sheet, row and column; only a file without a single problem is applied, in one transaction. KPIs of the
agreement that are not in the file are left as they are (delete KPIs in the editor). Refused: anything but an
xlsx, more than MAX_UPLOAD_BYTES, a zip that expands too far (core.uploads), more than MAX_XML_ELEMENTS cells,
data below row MAX_SHEET_ROWS, a missing sheet or header, more than MAX_ROWS data rows on a sheet,
formulas (and text starting with "="), error values, text in number cells, unknown dimensions, methods,
directions or usernames, codes of KPIs of other agreements, criteria the scoring engine rejects. Columns to
the right of a sheet's table are ignored. Unchanged KPIs are not saved: an unchanged file writes no history.

``year_workbook`` puts every KPI of a year's agreements in one sheet (unit, number, dimension, name, weight,
method, direction, thresholds t1..t5 of quantitative KPIs, mandatory code, supervisor, collector), one query.
"""

import io
import posixpath
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from xml.etree import ElementTree
from xml.parsers import expat

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_agreements import scoring
from kpi_agreements.core import uploads
from kpi_agreements.core.scoring_ui import scoring_message
from kpi_agreements.organisation.models import Person
from kpi_agreements.organisation.pickers import people_around

from . import services
from .models import KPI, Agreement

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000  # data rows per sheet
# Rows read per sheet, blank ones included: data below is refused by name, never dropped; blank rows are not.
MAX_SHEET_ROWS = 10_000
# Cells and the other XML elements of the whole workbook (about 300,000 in a full 5,000-KPI file), counted
# by expat before openpyxl parses anything: openpyxl's time grows with them, whatever the sheet declares.
MAX_XML_ELEMENTS = 1_000_000
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FONT_NAME = "TH Sarabun New"
FONT = Font(name=FONT_NAME, sz=14, family=2)
HEADER_FONT = Font(name=FONT_NAME, sz=14, family=2, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
TEXT_FORMAT = "@"
WEIGHT_PLACES = Decimal("0.0001")

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

METHOD_LABELS_TH = {
    "quantitative": "เชิงปริมาณ",
    "multi_quantitative": "เชิงปริมาณมากกว่า 1 ตัว",
    "milestone": "ขั้นตอนการดำเนินงาน",
    "pass_fail": "ผลสำเร็จ/ไม่สำเร็จ",
    "qualitative": "เชิงคุณภาพ",
}
DIRECTION_LABELS_TH = {"higher": "ยิ่งมากยิ่งดี", "lower": "ยิ่งน้อยยิ่งดี"}
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


def _thresholds(width=12) -> list[Column]:
    return [Column(f"t{k}", H_THRESHOLD.format(level=k), width, "number") for k in range(1, 6)]


NUMBER_COLUMN = Column("number", H_NUMBER, 8, "key")
CRITERIA_SHEETS = {
    "quantitative": (SHEET_QUANTITATIVE, [NUMBER_COLUMN, *_thresholds()]),
    "multi_quantitative": (
        SHEET_MULTI,
        [
            NUMBER_COLUMN,
            Column("name", H_MEASURE_NAME, 40, "long"),
            Column("weight", H_WEIGHT, 10, "number"),
            *_thresholds(),
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


# --- writing ------------------------------------------------------------------------------------------


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
        number = _parse_decimal_text(value)
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
        else services.outline(agreement.kpis.select_related("dimension", "supervisor", "collector"))
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
    *_thresholds(10),
    Column("mandatory", H_MANDATORY, 12),
    Column("supervisor", H_SUPERVISOR_NAME, 24),
    Column("collector", H_COLLECTOR_NAME, 24),
]


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
    "method", "direction", "criteria", "mandatory__code",
    *(f"{who}__{f}" for who in ("supervisor", "collector") for f in ("id", *_PERSON_FIELDS)),
)  # fmt: skip


class _YearKpi:
    """One KPI of the year export: its database row, and what ``services.outline`` reads and sets."""

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
    )

    def __init__(self, row, dimension):
        self.row, self.pk, self.parent_id, self.order = row, row.pk, row.parent_id, row.order
        self.dimension_id, self.dimension = row.dimension_id, dimension


def year_workbook(fiscal_year, agreements_qs) -> Workbook:
    """Every KPI of the given agreements of one year in one sheet, for analysis; one query at any size.

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

    rows = (
        KPI.objects.filter(agreement__in=agreements_qs.filter(fiscal_year=fiscal_year).values("pk"))
        .order_by("agreement__unit__path", "agreement_id", "pk")
        .values_list(*_YEAR_FIELDS, named=True)
    )
    dimensions: dict[int, SimpleNamespace] = {}
    people: dict[int, str] = {}
    group: list[_YearKpi] = []
    written = 0
    for row in rows.iterator(chunk_size=2000):
        if group and row.agreement_id != group[0].row.agreement_id:
            written += _write_year_group(ws, group, people)
            group = []
        dimension = dimensions.get(row.dimension_id)
        if dimension is None:
            dimension = dimensions[row.dimension_id] = SimpleNamespace(order=row.dimension__order)
        group.append(_YearKpi(row, dimension))
    if group:
        written += _write_year_group(ws, group, people)
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
    ordered = services.outline(kpis)
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


# --- reading: cell values -------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def _parse_decimal_text(text: str) -> Decimal | None:
    text = text.strip()
    if _GROUPED.fullmatch(text):  # "1,250.50": Thai writing groups thousands with commas
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def _plain(number: Decimal) -> str:
    """A decimal as the text the scoring engine stores: no exponent, no trailing ".0" from a float."""
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return format(number, "f")


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
        number = _parse_decimal_text(value)
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
        return _plain(_to_decimal(value))
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


_INVALID = object()  # a cell already reported (a formula, an error value): not read again


class _Row:
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
        if raw is _INVALID:
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


def _read_sheet(wb, name: str, columns: list[Column], report: ImportReport) -> list[_Row] | None:
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
                value = _INVALID
            elif cell.data_type == "e":
                report.add(
                    _("The cell holds the error value %(value)s.") % {"value": value},
                    name,
                    r,
                    c,
                    column.header,
                )
                value = _INVALID
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
        out.append(_Row(report, name, columns, r, values))
    return out


# --- reading: the KPI rows and criteria --------------------------------------------------------------------

METHOD_CODES = {**{v: k for k, v in METHOD_LABELS_TH.items()}, **{k: k for k in METHOD_LABELS_TH}}
DIRECTION_CODES = {**{v: k for k, v in DIRECTION_LABELS_TH.items()}, **{k: k for k in DIRECTION_LABELS_TH}}
TEXT_FIELDS = ["unit_of_measure", "description", "formula", "conditions", "data_source", "collection_method"]


@dataclass
class _KpiRow:
    row: _Row
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


def _parse_kpi(row: _Row, be_year: int) -> _KpiRow:
    length = {f: KPI._meta.get_field(f).max_length for f in ["name", *TEXT_FIELDS]}
    fields = {"name": row.text("name", required=True, max_length=length["name"])}
    for name in TEXT_FIELDS:
        fields[name] = row.text(name, max_length=length[name])
    weight = row.decimal("weight")
    if weight is not None:
        try:
            weight = scoring.validate_weight(weight)
        except scoring.ScoringError as exc:
            row.error("weight", scoring_message(exc))
    method = row.text("method", required=True)
    method_code = METHOD_CODES.get(method) or METHOD_CODES.get(method.lower())
    if method and not method_code:
        row.error(
            "method", _("“%(value)s” is not a scoring method; choose one from the list.") % {"value": method}
        )
    direction = row.text("direction")
    direction_code = DIRECTION_CODES.get(direction) or DIRECTION_CODES.get(direction.lower())
    if direction and not direction_code:
        row.error(
            "direction", _("“%(value)s” is not a direction; choose one from the list.") % {"value": direction}
        )
    pk = row.integer("id")
    if pk is not None and pk <= 0:
        row.error("id", _("Enter a whole number."))
    return _KpiRow(
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


def _threshold_values(row: _Row) -> list[str]:
    values = [row.decimal(f"t{k}", required=True) for k in range(1, 6)]
    return [_plain(v) if v is not None else "" for v in values]


def _criteria_from_rows(method: str, rows: list[_Row]) -> dict | None:
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
                if row.values.get("level") is not _INVALID:
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
    return _plain(number) if number is not None else ""


# An engine field such as "thresholds[2]", "measures[1].weight", "measures[0].thresholds[4]", "levels[2][0]".
_PATH = re.compile(r"(\w+)(?:\[(\d+)\])?(?:\.(\w+))?(?:\[(\d+)\])?")


def _point_error(method: str, rows: list[_Row], exc: scoring.ScoringError) -> None:
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
        return _to_int(value) if value is not _INVALID else None
    except _Bad:
        return None


@dataclass
class _Parsed:
    kpis: list[_KpiRow]
    criteria: dict  # method -> [_Row]


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
    return _plain((Decimal(size) / (1024 * 1024)).quantize(Decimal("0.1")))


def _parse_file(agreement: Agreement, fileobj, report: ImportReport) -> _Parsed | None:
    """Everything that can be checked without the database."""
    wb = _open(fileobj, report)
    if wb is None:
        return None
    try:
        be_year = agreement.fiscal_year.be_year
        sheets = {SHEET_KPIS: kpi_columns(be_year)}
        sheets.update({name: columns for name, columns in CRITERIA_SHEETS.values()})
        missing = [name for name in sheets if name not in wb.sheetnames]
        for name in missing:
            report.add(_("The workbook has no sheet named “%(sheet)s”.") % {"sheet": name}, name)
        if missing:
            return None
        tables = {name: _read_sheet(wb, name, columns, report) for name, columns in sheets.items()}
    finally:
        wb.close()
    if any(rows is None for rows in tables.values()):
        return None  # wrong headers or too many rows: the cells cannot be read with confidence
    kpis = [_parse_kpi(row, be_year) for row in tables[SHEET_KPIS]]
    criteria = {method: tables[name] for method, (name, _columns) in CRITERIA_SHEETS.items()}
    return _Parsed(kpis, criteria)


# --- checking against the database and applying -------------------------------------------------------------


@dataclass
class _Plan:
    """A KPI row that passed every check: what to write."""

    item: _KpiRow
    kpi: KPI | None  # None: a new KPI
    dimension_id: int
    parent: str  # the parent's number in the file, "" for a top-level KPI
    direction: str
    supervisor_id: int | None
    collector_id: int | None
    criteria: dict = field(default_factory=dict)
    order: int = 0


def _check(
    agreement: Agreement, parsed: _Parsed, existing: dict[int, KPI], report: ImportReport
) -> list[_Plan]:
    """Check the KPI rows against the agreement, its year's framework and the people; then the criteria."""
    dimensions = {d.name_th.strip(): d for d in agreement.fiscal_year.dimensions.all()}
    names = {d.pk: d.name_th for d in dimensions.values()}
    usernames = {u for item in parsed.kpis for u in (item.supervisor, item.collector) if u}
    # The same people as the KPI form's pickers (issue 8.7), and whoever the KPIs name already: a workbook
    # must not name, or probe for, anyone else in the system.
    named = [pk for k in existing.values() for pk in (k.supervisor_id, k.collector_id) if pk]
    allowed = Person.objects.filter(Q(pk__in=people_around(agreement.unit).values("pk")) | Q(pk__in=named))
    people = {p.username: p.pk for p in allowed.filter(username__in=usernames, is_active=True)}
    plans: dict[str, _Plan] = {}
    rows_by_number: dict[str, int] = {}
    rows_by_pk: dict[int, int] = {}
    for item in parsed.kpis:
        row = item.row
        if item.pk is not None:
            if item.pk not in existing:
                row.error("id", _("No KPI of this agreement has the code %(pk)s.") % {"pk": item.pk})
            elif item.pk in rows_by_pk:
                row.error(
                    "id",
                    _("The code %(pk)s is also on row %(row)s.")
                    % {"pk": item.pk, "row": rows_by_pk[item.pk]},
                )
            else:
                rows_by_pk[item.pk] = row.row
        if item.number:
            if item.number in rows_by_number:
                row.error(
                    "number",
                    _("The number %(number)s is also on row %(row)s.")
                    % {"number": item.number, "row": rows_by_number[item.number]},
                )
            else:
                rows_by_number[item.number] = row.row

        parent = None
        if item.parent:
            parent = plans.get(item.parent)
            if item.parent not in rows_by_number or item.parent == item.number:
                row.error(
                    "parent",
                    _("The parent KPI %(number)s must be listed on a row above this one.")
                    % {"number": item.parent},
                )
            elif parent is None:
                row.ok = False  # the parent's own row is wrong and already reported
        dimension = dimensions.get(item.dimension) if item.dimension else None
        if item.dimension and dimension is None:
            row.error(
                "dimension",
                _("The framework of %(year)s has no dimension “%(name)s”.")
                % {"year": agreement.fiscal_year, "name": item.dimension},
            )
        elif parent is not None and dimension is not None and dimension.pk != parent.dimension_id:
            row.error(
                "dimension",
                _(
                    "A sub-KPI belongs to its parent's dimension: leave this cell blank or "
                    "choose “%(dimension)s”."
                )
                % {"dimension": names[parent.dimension_id]},
            )
        elif not item.parent and dimension is None and row.values.get("dimension") is not _INVALID:
            row.error("dimension", _("This value is required."))

        ids = {}
        for key in ("supervisor", "collector"):
            username = getattr(item, key)
            ids[key] = people.get(username)
            if username and username not in people:
                row.error(key, _("No active user has the username “%(username)s”.") % {"username": username})
        if not row.ok:
            continue
        kpi = existing.get(item.pk) if item.pk is not None else None
        plans[item.number] = _Plan(
            item=item,
            kpi=kpi,
            dimension_id=parent.dimension_id if parent is not None else dimension.pk,
            parent=item.parent,
            direction=item.direction or (kpi.direction if kpi else None) or "higher",
            supervisor_id=ids["supervisor"],
            collector_id=ids["collector"],
        )
    # A weight may be left blank only on a parent KPI, whose weight is the sum of its sub-KPIs' (§4).
    parents = {item.parent for item in parsed.kpis}
    for item in parsed.kpis:
        if item.row._blank("weight") and item.number not in parents:
            item.row.error("weight", _("Enter a value here."))
    _check_criteria(parsed, plans)
    return [plans[item.number] for item in parsed.kpis if item.number in plans]


def _check_criteria(parsed: _Parsed, plans: dict[str, _Plan]) -> None:
    """Each KPI's criteria from its rows on its method's sheet, checked by the scoring engine."""
    items = {item.number: item for item in parsed.kpis}
    by_kpi: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for method, rows in parsed.criteria.items():
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
        plan = plans.get(number)
        if plan is None:
            continue  # the KPI's own row is wrong (reported); its criteria were still checked
        if method == "quantitative" and not direction:
            first, last = Decimal(criteria["thresholds"][0]), Decimal(criteria["thresholds"][-1])
            plan.direction = "higher" if first < last else "lower"
        plan.criteria = criteria


def _canon(value):
    """JSON compared by meaning: "60", "60.0" and 60 are the same number."""
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if isinstance(value, str):
        number = _parse_decimal_text(value)
        return number.normalize() if number is not None else value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value)).normalize()
    return value


def _merge_criteria(kpi: KPI | None, method: str, new: dict, direction: str) -> dict:
    """Keep keys the workbook does not show (e.g. a stated direction) while the method stays the same."""
    if not new:
        return {}
    old = kpi.criteria if kpi and kpi.method == method and isinstance(kpi.criteria, dict) else {}
    merged = {k: v for k, v in old.items() if k not in new}
    if method == "quantitative" and "direction" in merged:
        merged["direction"] = direction
    merged.update(new)
    return merged


def _merge_baseline(old: list, new: dict[int, str]) -> list:
    """The file's three years replace those years; results of other years stay."""
    old = [e for e in (old or []) if isinstance(e, dict)]
    window = {str(y) for y in new}
    years = {str(e.get("year")): e.get("year") for e in old}
    merged = [e for e in old if str(e.get("year")) not in window]
    for year, value in new.items():
        if value or str(year) in years:
            merged.append({"year": years.get(str(year), year), "value": value})
    return merged


def _same_baseline(a: list, b: list) -> bool:
    def key(entries):
        return sorted(
            (str(e.get("year")), _canon(e.get("value"))) for e in entries or [] if isinstance(e, dict)
        )

    return key(a) == key(b)


def _assign_orders(plans: list[_Plan], existing: dict[int, KPI]) -> None:
    """Sheet order is reading order among siblings (same parent, same dimension).

    Stored orders that already read in sheet order are kept, so an unchanged file writes no history; rows new
    to the group go after every stored sibling; otherwise the siblings are numbered 1, 2, 3 … in sheet order.
    """
    groups: dict[tuple[str, int], list[_Plan]] = defaultdict(list)
    for plan in plans:
        groups[(plan.parent, plan.dimension_id)].append(plan)
    by_number = {plan.item.number: plan for plan in plans}
    stored_max: dict[tuple, int] = defaultdict(int)
    for kpi in existing.values():
        stored_max[(kpi.parent_id, kpi.dimension_id)] = max(
            stored_max[(kpi.parent_id, kpi.dimension_id)], kpi.order
        )
    for (parent_number, dimension_id), siblings in groups.items():
        parent = by_number.get(parent_number)
        if parent_number and (parent.kpi is None):
            for n, plan in enumerate(siblings, start=1):  # a new parent: all its sub-KPIs are new here
                plan.order = n
            continue
        parent_pk = parent.kpi.pk if parent_number else None
        staying = []
        for plan in siblings:
            if plan.kpi is None or (plan.kpi.parent_id, plan.kpi.dimension_id) != (parent_pk, dimension_id):
                break
            staying.append(plan)
        keys = [(plan.kpi.order, plan.kpi.pk) for plan in staying]
        if keys == sorted(keys):
            for plan in staying:
                plan.order = plan.kpi.order
            top = stored_max[(parent_pk, dimension_id)]
            for n, plan in enumerate(siblings[len(staying) :], start=1):
                plan.order = top + n
        else:
            for n, plan in enumerate(siblings, start=1):
                plan.order = n


def _apply(agreement: Agreement, plans: list[_Plan], user, report: ImportReport) -> None:
    """Write the checked rows in sheet order (a parent before its sub-KPIs); unchanged KPIs are not saved."""
    reason = _("Imported from Excel")
    saved: dict[str, KPI] = {}
    for plan in plans:
        item = plan.item
        values = {
            "dimension_id": plan.dimension_id,
            "parent_id": saved[plan.parent].pk if plan.parent else None,
            "order": plan.order,
            "weight": item.weight,
            "method": item.method,
            "direction": plan.direction,
            "criteria": _merge_criteria(plan.kpi, item.method, plan.criteria, plan.direction),
            "supervisor_id": plan.supervisor_id,
            "collector_id": plan.collector_id,
            **item.fields,
        }
        kpi = plan.kpi
        if kpi is None:
            kpi = KPI(agreement=agreement, baseline=_merge_baseline([], item.baseline), **values)
            report.created += 1
        else:
            changed = {name: value for name, value in values.items() if not _equal(getattr(kpi, name), value)}
            baseline = _merge_baseline(kpi.baseline, item.baseline)
            if not _same_baseline(kpi.baseline, baseline):
                changed["baseline"] = baseline
            saved[item.number] = kpi
            if not changed:
                report.unchanged += 1
                continue
            for name, value in changed.items():
                setattr(kpi, name, value)
            report.updated += 1
        # simple-history records every save (no bulk writes on an audited model); say who and why.
        kpi._change_reason = reason
        kpi._history_user = user
        kpi.save()
        saved[item.number] = kpi
    services.sync_parent_weights(agreement)


def _equal(old, new) -> bool:
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return _canon(old) == _canon(new)
    return old == new


def import_workbook(agreement: Agreement, fileobj, user) -> ImportReport:
    """Check an uploaded KPI Template workbook cell by cell; apply it only if nothing at all is wrong.

    Returns the report: its ``errors`` name sheet, row and column; when there are none the counts say what
    changed. All writes happen in one transaction, so a file is applied entirely or not at all.
    """
    report = ImportReport()
    _import(agreement, fileobj, user, report)
    report.sort()
    return report


def _import(agreement: Agreement, fileobj, user, report: ImportReport) -> None:
    not_editable = _("This agreement is no longer a draft and cannot be changed here.")
    if not agreement.is_editable:
        report.add(not_editable)
        return
    parsed = _parse_file(agreement, fileobj, report)
    if parsed is None:
        return
    # Cells with problems are reported already; go on checking the rest so the report lists everything.
    with transaction.atomic():
        # Lock the agreement while the file is checked against it and applied: no one else edits meanwhile.
        locked = Agreement.objects.select_for_update().select_related("fiscal_year").get(pk=agreement.pk)
        if not locked.is_editable:
            report.add(not_editable)
            return
        existing = {k.pk: k for k in locked.kpis.all()}
        plans = _check(locked, parsed, existing, report)
        if not report.ok:
            return
        _assign_orders(plans, existing)
        in_file = {plan.kpi.pk for plan in plans if plan.kpi}
        report.not_in_file = len(set(existing) - in_file)
        _apply(locked, plans, user, report)
    return
