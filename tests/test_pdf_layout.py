"""The agreement PDF as the manuals lay it out (issue 13 item 11): long Thai criteria stay inside their cells
of part 3, numbers fit their columns, signatures close part 1 and the signing page, a later version cites the
resolution of its change request and lists what changed."""

import re
import subprocess
import unicodedata
from datetime import date
from html import unescape

import pytest

from kpi_agreements.agreements.models import Agreement
from kpi_agreements.agreements.services import changes
from kpi_agreements.documents.render import ZWSP, breakable, render_agreement_pdf, thai_syllables
from tests.factories import add_kpi, open_change
from tests.test_documents import pdf_text

STEPS = [
    ["แต่งตั้งคณะทำงานพัฒนาระบบสารสนเทศเพื่อการบริหารจัดการภาครัฐแบบบูรณาการ"],
    ["จัดทำแผนปฏิบัติการพัฒนาระบบสารสนเทศและเสนอผู้บริหารให้ความเห็นชอบ", "ประชุมชี้แจงหน่วยงานที่เกี่ยวข้อง"],
    ["ดำเนินการพัฒนาระบบตามแผนได้ไม่น้อยกว่าร้อยละห้าสิบของกิจกรรมทั้งหมด"],
    ["ทดสอบระบบและฝึกอบรมเจ้าหน้าที่ผู้ใช้งานในส่วนราชการครบทุกหน่วยงาน"],
    ["เปิดใช้งานระบบจริงและประเมินความพึงพอใจของผู้ใช้งานไม่ต่ำกว่าร้อยละแปดสิบ"],
]
LEVELS = [
    "มีการรวบรวมข้อมูลพื้นฐานเพื่อประกอบการจัดทำรายงานประจำปีแต่ยังไม่ครบถ้วน",
    "จัดทำร่างรายงานประจำปีเสร็จสมบูรณ์และเสนอผู้บริหารพิจารณา",
    "รายงานประจำปีได้รับความเห็นชอบจากผู้บริหารและเผยแพร่ทางเว็บไซต์",
    "รายงานประจำปีเผยแพร่ภายในกำหนดเวลาและมีการรับฟังความคิดเห็นของผู้มีส่วนได้ส่วนเสีย",
    "นำข้อเสนอแนะจากผู้มีส่วนได้ส่วนเสียมาปรับปรุงการดำเนินงานอย่างเป็นรูปธรรม",
]
BASELINE = [
    {"year": 2567, "value": "85.5555"},
    {"year": 2568, "value": "88"},
    {"year": 2569, "value": "100.25"},
]
# The headings of the parts (their names also appear in the clauses of part 1 and on the signing page).
PART_2 = "ส่วนที่ 2 แผนปฏิบัติราชการ วิสัยทัศน์"
PART_3 = "ส่วนที่ 3 รายละเอียดของคำรับรอง:"
PART_4 = "ส่วนที่ 4 รายละเอียดตัวชี้วัด ตัวชี้วัดที่ 1"
MM = 72 / 25.4  # points per millimetre
LEVEL_COLUMN = 14.5 * MM  # the widths of templates/documents/agreement.html
WEIGHT_COLUMN = 14 * MM
YEAR_COLUMN = 13 * MM


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def long_texts(agreement, dims):
    """Weights of the redistribution kind (29.4117), long milestone and qualitative criteria, a baseline."""
    add_kpi(
        agreement,
        dims[0],
        "29.4117",
        "ระดับความสำเร็จของการพัฒนาระบบสารสนเทศเพื่อการบริหารจัดการ",
        method="milestone",
        criteria={"levels": STEPS},
    )
    add_kpi(
        agreement,
        dims[0],
        "15.5883",
        "คุณภาพของรายงานประจำปี",
        method="qualitative",
        criteria={"levels": LEVELS},
    )
    add_kpi(agreement, dims[1], "15", "ร้อยละความพึงพอใจของผู้รับบริการ", baseline=BASELINE)
    add_kpi(agreement, dims[2], "20", "ร้อยละการเบิกจ่ายงบประมาณ")
    add_kpi(agreement, dims[3], "20", "ร้อยละของบุคลากรที่ได้รับการพัฒนา")
    return Agreement.objects.get(pk=agreement.pk)


def words_on_page(pdf: bytes, page: int, tmp_path) -> list[tuple[float, float, float, float, str]]:
    """(xMin, yMin, xMax, yMax, text) of every word pdftotext finds on ``page``, in points."""
    path = tmp_path / "layout.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        (float(a), float(b), float(c), float(d), unescape(t)) for a, b, c, d, t in re.findall(pattern, out)
    ]


def part_3_page(pdf: bytes, tmp_path) -> int:
    for page in range(1, 10):
        if any(w[4] == "(ร้อยละ)" for w in words_on_page(pdf, page, tmp_path)):  # the weight's header
            return page
    raise AssertionError("part 3 not found")


def test_long_thai_criteria_and_weights_stay_inside_their_cells_of_part_3(long_texts, tmp_path):
    pdf = render_agreement_pdf(long_texts, draft=False, thai_digits=False)
    words = words_on_page(pdf, part_3_page(pdf, tmp_path), tmp_path)
    header = next(w for w in words if w[4] == "2567")
    total = next(w for w in words if w[4] == "รวม")  # the last row; the legend of the levels follows it
    bands = {w[1] for w in words if w[4] == "มิติที่"}  # a dimension's band spans the whole table
    below = [w for w in words if header[3] < w[1] <= total[1] and w[1] not in bands]
    # The column centres, from the header cells (1..5 for the levels; the years; the weight's "(ร้อยละ)").
    columns = [((w[0] + w[2]) / 2, LEVEL_COLUMN) for w in words if w[1] == header[1] and w[4] in "12345"]
    columns += [((w[0] + w[2]) / 2, YEAR_COLUMN) for w in words if w[4] in ("2567", "2568", "2569")]
    columns += [((w[0] + w[2]) / 2, WEIGHT_COLUMN) for w in words if w[4] == "(ร้อยละ)"]
    assert len(columns) == 9
    checked = 0
    for x_min, _y, x_max, _y2, text in below:
        middle = (x_min + x_max) / 2
        for centre, width in columns:
            if abs(middle - centre) < width / 2:
                left, right = centre - width / 2, centre + width / 2
                assert left - 0.5 <= x_min and x_max <= right + 0.5, f"{text!r} runs out of its cell"
                checked += 1
    assert checked > 60  # every line of the criteria and every number was looked at
    assert any(w[4] == "29.4117" for w in below) and any(w[4] == "100.25" for w in below)


def test_part_3_reads_in_order_and_whole(long_texts, tmp_path):
    """Break opportunities are invisible: the extracted text has every criterion whole, level 1 to 5."""
    text = pdf_text(render_agreement_pdf(long_texts, draft=False, thai_digits=False), tmp_path)
    assert ZWSP not in text
    part3 = text.split(PART_3)[1].split(PART_4)[0].replace(" ", "")
    positions = [part3.index("".join(steps)) for steps in STEPS]
    positions += [part3.index(level) for level in LEVELS]
    assert positions == sorted(positions)
    assert part3.index("ระดับความสำเร็จของการพัฒนาระบบสารสนเทศ") < positions[0]
    assert "ร้อยละ29.4117" in part3 and "85.555588100.25" in part3


def test_signatures_close_part_1_and_the_signing_page_repeats_them(long_texts, tmp_path):
    text = pdf_text(render_agreement_pdf(long_texts, draft=False, thai_digits=False), tmp_path)
    part1 = text.split(PART_2)[0]
    assert part1.count("(ลงชื่อ)") == 2 and part1.rindex("ผู้ทำคำรับรอง") > part1.index("5. ผู้ทำคำรับรอง")
    last = text.split(PART_4)[1].split("การลงนามคำรับรองการปฏิบัติราชการ")
    assert len(last) == 2  # the signing page follows the KPI Templates
    signing = last[1]
    assert signing.count("(ลงชื่อ)") == 2 and "ผู้ทำคำรับรอง" in signing and "ผู้รับคำรับรอง" in signing
    assert "ฉบับที่ 1 ประกอบด้วยส่วนที่ 1" in signing


def test_a_later_version_cites_its_resolution_and_lists_what_changed(long_texts, org, tmp_path):
    kpis = {k.name: k for k in long_texts.kpis.all()}
    change = open_change(long_texts, org.head_a)
    changes.change_item_add(change=change, kind="cancel", kpi=kpis["คุณภาพของรายงานประจำปี"])
    changes.change_item_add(
        change=change,
        kind="edit",
        kpi=kpis["ร้อยละความพึงพอใจของผู้รับบริการ"],
        name="ร้อยละความพึงพอใจของประชาชน",
        method="quantitative",
        criteria={"thresholds": ["1", "2", "3", "4", "5"]},
    )
    changes.change_submit(change=change, user=org.head_a, today=date(2027, 3, 15))
    changes.change_decide(
        change=change, user=org.member, approve=True, number="9/2570", date=date(2027, 3, 20), text="อนุมัติ"
    )
    agreement = Agreement.objects.get(pk=long_texts.pk)
    text = pdf_text(render_agreement_pdf(agreement, draft=False, thai_digits=False), tmp_path)
    cited = "มติคณะกรรมการเจรจา ก1. ที่ 9/2570 ลงวันที่ 20 มีนาคม 2570"
    assert f"ฉบับที่ 2 แก้ไขตาม{cited}" in text
    part1 = text.split(PART_2)[0]
    assert "คำรับรองฉบับที่ 2 นี้แก้ไขคำรับรองฉบับที่ 1" in part1 and "มีผลตั้งแต่รอบ 12 เดือน" in part1
    assert "6.1 ยกเลิกตัวชี้วัดที่ 2 คุณภาพของรายงานประจำปี ตั้งแต่รอบ 12 เดือน" in part1
    # KPI 3 of version 1 is KPI 2 of version 2, once KPI 2 is cancelled.
    assert (
        "6.2แก้ไขตัวชี้วัดที่3ร้อยละความพึงพอใจของผู้รับบริการ(ฉบับนี้ตัวชี้วัดที่2):"
        "ชื่อตัวชี้วัดเป็น“ร้อยละความพึงพอใจของประชาชน”,เกณฑ์การให้คะแนน"
    ) in part1.replace(" ", "")  # lines wrap anywhere
    # The cancelled weight went to another KPI: the move is listed with both weights.
    assert "6.3 ปรับน้ำหนักตัวชี้วัดที่ 1 ระดับความสำเร็จของการพัฒนาระบบสารสนเทศ" in part1
    assert "จากร้อยละ 29.4117 เป็น" in part1 and part1.index("6.3") < part1.index("(ลงชื่อ)")


# --- the break opportunities themselves -----------------------------------------------------------------

WORDS = {
    "สารสนเทศ": ["สาร", "สน", "เทศ"],
    "ประสิทธิภาพ": ["ประ", "สิท", "ธิ", "ภาพ"],
    "เจ้าหน้าที่": ["เจ้า", "หน้า", "ที่"],
    "บูรณาการ": ["บูร", "ณา", "การ"],
    "กรรมการ": ["กรรม", "การ"],
    "วิทยาศาสตร์": ["วิท", "ยา", "ศาส", "ตร์"],
    "โครงการ": ["โครง", "การ"],
    "ผู้มีส่วนได้ส่วนเสีย": ["ผู้", "มี", "ส่วน", "ได้", "ส่วน", "เสีย"],
}
MARKS = set("ะัาำิีึืฺุู็่้๊๋์ํ๎")


@pytest.mark.parametrize("word, pieces", WORDS.items())
def test_long_thai_words_break_between_syllables(word, pieces):
    assert thai_syllables(word) == pieces


@pytest.mark.parametrize(
    "text", [*WORDS, *(s for steps in STEPS for s in steps), *LEVELS, "น้ำท่วม ๑๒๓ KPI-2570 (ร้อยละ 80.5)"]
)
def test_no_break_ever_parts_a_mark_from_its_letter(text):
    broken = breakable(text, 3)
    assert broken.replace(ZWSP, "") == text
    for piece in broken.split(ZWSP)[1:]:
        assert piece[0] not in MARKS and unicodedata.category(piece[0]) != "Mn", broken
    for piece in broken.split(ZWSP)[:-1]:
        assert piece[-1] not in "เแโใไ", broken  # a leading vowel stays with its consonant


def test_words_that_fit_are_left_whole():
    assert breakable("ร้อยละ 80 ของงาน", 6) == "ร้อยละ 80 ของงาน"
    assert breakable("ratio 29.4117", 3) == "ratio 29.4117"
    assert ZWSP in breakable("สารสนเทศ", 6)
