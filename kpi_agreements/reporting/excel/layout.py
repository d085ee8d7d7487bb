"""The round's workbook (issue 10 items 2 and 7): what the export writes and the import reads back.

As in the KPI Template workbook (agreements.excel.layout), sheet names, headers and the words written in cells
are Thai constants, not gettext: the workbook is an official Thai artefact and an upload must match it
whatever the uploader's language. Messages to the user go through gettext.

``ผลการดำเนินงาน`` (results): one row per KPI of every report, reports in the order of their units:

  รหัสรายงาน | รหัสรายการ (hidden) | หน่วยงาน | ลำดับ | ชื่อตัวชี้วัด | วิธีการให้คะแนน | หน่วยนับ | น้ำหนัก |
  ผลการดำเนินงาน | วิธีกรอกผล | คำอธิบายผลการดำเนินงาน | ปัญหาอุปสรรค | อุปสรรคนอกเหนือการควบคุม |
  ข้อเสนอแนะ | เริ่มรายงานรอบถัดไป | เหตุผลที่เริ่มรายงานรอบถัดไป | คะแนนประเมินตนเอง | คะแนนถ่วงน้ำหนัก

- ``รหัสรายการ`` (hidden) is the report item's id: the import finds the row's KPI by it, never by a name, and
  refuses a row whose ``รหัสรายงาน`` is not that item's report (rows pasted into the wrong place).
- Read back: only the result, the narrative, obstacles, "outside the unit's control", suggestions, "reports
  from a later round" and its reason (``EDITABLE``). The other columns (grey headers) are for reading.
- The result in one cell, by method (``result_to_cell``, ``result_from_cell``): quantitative, the actual
  value; several measures, the actuals in the criteria's order separated by ``;``; milestones, the highest
  level whose steps are all done, 0–5 (typing 3 ticks every step of levels 1–3 and none above; a row left at
  the level it had keeps its ticks as they are); pass/fail, ``ผ่าน`` or ``ไม่ผ่าน`` (1/0, yes/no accepted
  too); qualitative, the level 1–5 (its justification is the narrative). Blank: no result.
- ``ใช่`` / ``ไม่ใช่`` for the two ticks (blank is ``ไม่ใช่``; 1/0, yes/no accepted too).
- The scores are the stored ones (the self-assessed card); they are not read back.

``สรุปคะแนน`` (cards): one row per report, its stored totals, self-assessed and verified (subtotal, late
penalty, total), for reading only.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl.styles import PatternFill

from kpi_agreements.agreements.excel.layout import Column, parse_decimal_text, plain

SHEET_RESULTS = "ผลการดำเนินงาน"
SHEET_CARDS = "สรุปคะแนน"

YES, NO = "ใช่", "ไม่ใช่"
PASS, FAIL = "ผ่าน", "ไม่ผ่าน"
TRUE_WORDS = {YES, PASS, "yes", "y", "true", "1", "pass", "passed"}
FALSE_WORDS = {NO, FAIL, "no", "n", "false", "0", "fail", "failed"}

SCORE_FORMAT = "0.0000"
READ_ONLY_FILL = PatternFill("solid", fgColor="E7E6E6")
# Texts longer than this are refused at the cell (an Excel cell holds at most 32,767 characters).
MAX_TEXT = 10_000

RESULT_COLUMNS = [
    Column("report", "รหัสรายงาน", 10, "integer"),
    Column("item", "รหัสรายการ", 10, "integer"),
    Column("unit", "หน่วยงาน", 30),
    Column("code", "ลำดับ", 8, "key"),
    Column("name", "ชื่อตัวชี้วัด", 50, "long"),
    Column("method", "วิธีการให้คะแนน", 20),
    Column("unit_of_measure", "หน่วยนับ", 12),
    Column("weight", "น้ำหนัก", 10, "number"),
    Column("result", "ผลการดำเนินงาน", 16),
    Column("hint", "วิธีกรอกผล", 32, "long"),
    Column("narrative", "คำอธิบายผลการดำเนินงาน", 50, "long"),
    Column("obstacles", "ปัญหาอุปสรรค", 40, "long"),
    Column("external", "อุปสรรคนอกเหนือการควบคุม (ใช่/ไม่ใช่)", 16),
    Column("suggestions", "ข้อเสนอแนะ", 40, "long"),
    Column("later_round", "เริ่มรายงานรอบถัดไป (ใช่)", 14),
    Column("later_reason", "เหตุผลที่เริ่มรายงานรอบถัดไป", 40, "long"),
    Column("self_score", "คะแนนประเมินตนเอง", 12, "number"),
    Column("self_weighted", "คะแนนถ่วงน้ำหนัก", 12, "number"),
]
HIDDEN = {"item"}
# What the import reads, besides the ids.
EDITABLE = ("result", "narrative", "obstacles", "external", "suggestions", "later_round", "later_reason")
TEXTS = ("narrative", "obstacles", "suggestions", "later_reason")
HEADER_NOTES = {
    "report": "รหัสรายงานในระบบ ห้ามแก้ไข",
    "result": (
        "เชิงปริมาณ: ค่าที่ได้ | หลายตัวชี้วัดย่อย: ค่าที่ได้ตามลำดับ คั่นด้วย ; | ขั้นตอน: ระดับสูงสุดที่ทำครบทุก"
        "ขั้นตอน 0–5 | ผ่าน/ไม่ผ่าน: ผ่าน หรือ ไม่ผ่าน | เชิงคุณภาพ: ระดับ 1–5 | เว้นว่าง: ยังไม่รายงาน"
    ),
    "later_round": "เฉพาะรอบ 6 และ 9 เดือน: ใส่ ใช่ และระบุเหตุผล",
    "self_score": "คะแนนที่บันทึกในระบบ ไม่ได้อ่านกลับเมื่อนำเข้า",
}

CARD_COLUMNS = [
    Column("report", "รหัสรายงาน", 10, "integer"),
    Column("unit", "หน่วยงาน", 30),
    Column("status", "สถานะ", 22),
    Column("self_subtotal", "คะแนนรวมก่อนหัก (ประเมินตนเอง)", 16, "number"),
    Column("self_penalty", "คะแนนที่หักจากการส่งล่าช้า (ประเมินตนเอง)", 16, "number"),
    Column("self_total", "คะแนนรวม (ประเมินตนเอง)", 16, "number"),
    Column("verified_subtotal", "คะแนนรวมก่อนหัก (ผลการตรวจสอบ)", 16, "number"),
    Column("verified_penalty", "คะแนนที่หักจากการส่งล่าช้า (ผลการตรวจสอบ)", 16, "number"),
    Column("verified_total", "คะแนนรวม (ผลการตรวจสอบ)", 16, "number"),
]

HINTS = {
    "quantitative": "ตัวเลข",
    "multi_quantitative": "ตัวเลข {count} ค่า คั่นด้วย ; ตามลำดับ: {names}",
    "milestone": "ระดับสูงสุดที่ทำครบทุกขั้นตอน 0–5",
    "pass_fail": "ผ่าน หรือ ไม่ผ่าน",
    "qualitative": "ระดับ 1–5 (ให้เหตุผลในคำอธิบายผลการดำเนินงาน)",
}
PARENT_HINT = "คำนวณจากตัวชี้วัดย่อย"


class CellProblem(Exception):
    """A cell's value cannot be a result of its KPI's method; the message says why."""


def entry_hint(method: str, criteria, is_leaf: bool = True) -> str:
    if not is_leaf:
        return PARENT_HINT
    if method == "multi_quantitative":
        measures = _measures(criteria)
        names = "; ".join(str(m.get("name", "")) for m in measures)
        return HINTS[method].format(count=len(measures), names=names)
    return HINTS.get(method, "")


def _measures(criteria) -> list:
    measures = criteria.get("measures") if isinstance(criteria, dict) else None
    return [m for m in measures if isinstance(m, dict)] if isinstance(measures, list) else []


def milestone_level(done) -> int:
    """The highest level whose steps are all done: levels are cumulative, as the engine scores them."""
    level = 0
    for ticks in done if isinstance(done, list) else []:
        if not (isinstance(ticks, list) and ticks and all(t is True for t in ticks)):
            break
        level += 1
    return min(level, 5)


def cell_number(value):
    """Numeric text becomes a number in the cell, so Excel can add it up; other values stay as they are."""
    if isinstance(value, str):
        number = parse_decimal_text(value)
        if number is not None:
            return number
    return value


def result_to_cell(method: str, result):
    """A stored result as the one cell that holds it (module docstring); None: not entered."""
    if not isinstance(result, dict):
        return None
    if method == "quantitative":
        return cell_number(result.get("actual"))
    if method == "multi_quantitative":
        actuals = result.get("actuals") if isinstance(result.get("actuals"), list) else []
        return cell_number(actuals[0]) if len(actuals) == 1 else ";".join(str(a) for a in actuals)
    if method == "milestone":
        return milestone_level(result.get("done"))
    if method == "pass_fail":
        return PASS if result.get("passed") is True else FAIL
    if method == "qualitative":
        return cell_number(result.get("level"))
    return None


def number_text(value):
    """A number typed in a cell as the text the engine reads (no float, no exponent); anything else is handed
    over as typed, for the engine to refuse with its own message."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # openpyxl reads numbers as floats; str() is the shortest text that reads back as the same float,
        # i.e. what was typed (as agreements.excel.parse reads thresholds).
        return plain(Decimal(str(value)))
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, str):
        number = parse_decimal_text(value)
        return plain(number) if number is not None else value.strip()
    return str(value)


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def word(value) -> bool | None:
    """ใช่/ไม่ใช่, ผ่าน/ไม่ผ่าน, yes/no, 1/0, TRUE/FALSE → True/False; None when it is none of them."""
    if isinstance(value, bool):
        return value
    text = number_text(value) if isinstance(value, int | float) else str(value).strip().casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def result_from_cell(method: str, criteria, value):
    """The result in the engine's shape from one cell (module docstring); None when the cell is blank.

    Raises CellProblem only where no result can be built at all; a result in the right shape but out of range
    or not a number is left to the engine (``flow.check_entry``), so its message is the engine's.
    """
    if _is_blank(value):
        return None
    if method == "quantitative":
        return {"actual": number_text(value)}
    if method == "multi_quantitative":
        parts = value.split(";") if isinstance(value, str) else [value]
        return {"actuals": [number_text(p) for p in parts]}
    if method == "milestone":
        text = number_text(value)
        level = parse_decimal_text(text) if isinstance(text, str) else None
        if level is None or level != level.to_integral_value() or not 0 <= level <= 5:
            raise CellProblem(
                _("Enter the highest level whose steps are all done: a whole number from 0 to 5.")
            )
        levels = criteria.get("levels") if isinstance(criteria, dict) else None
        levels = levels if isinstance(levels, list) else []
        return {"done": [[i < level] * (len(s) if isinstance(s, list) else 0) for i, s in enumerate(levels)]}
    if method == "pass_fail":
        passed = word(value)
        if passed is None:
            raise CellProblem(_("Enter %(yes)s or %(no)s.") % {"yes": PASS, "no": FAIL})
        return {"passed": passed}
    if method == "qualitative":
        text = number_text(value)
        level = parse_decimal_text(text) if isinstance(text, str) else None
        if level is not None and level == level.to_integral_value():
            return {"level": int(level)}
        return {"level": text}
    raise CellProblem(_("The KPI has no scoring method; it cannot be given a result."))


def same_result(method: str, a, b) -> bool:
    """Whether two results say the same (85.50 is 85.5): an unchanged row is not written."""
    if a == b:
        return True
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    try:
        if method == "quantitative":
            return Decimal(str(a["actual"])) == Decimal(str(b["actual"]))
        if method == "multi_quantitative":
            x, y = list(a["actuals"]), list(b["actuals"])
            return len(x) == len(y) and all(
                Decimal(str(i)) == Decimal(str(j)) for i, j in zip(x, y, strict=True)
            )
    except (ArithmeticError, KeyError, TypeError, ValueError):
        return False
    return False
