"""KPI Templates in Excel (DOMAIN §10): download, edit, upload; every broken file changes nothing.

An upload and the year's workbook are background jobs (issue 14): the page stores the file and asks for the
job; here the job runs at once (its effect on commit), and the tests read its outcome and file."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.excel import export, layout, parse
from kpi_agreements.agreements.models import KPI, Agreement, Dimension
from kpi_agreements.agreements.services import excel_import, kpis
from kpi_agreements.criteria.validation import scoring_message
from kpi_agreements.organisation import services as org_services
from kpi_agreements.scoring import ScoringError
from kpi_agreements.workflow.models import Job

QUANT = {"thresholds": ["60", "70", "80", "90", "100"]}
MULTI = {
    "measures": [
        {"name": "ความครอบคลุม", "weight": "2", "thresholds": ["60", "70", "80", "90", "100"]},
        {"name": "ความทันเวลา", "weight": "1", "thresholds": ["10", "8", "6", "4", "2"]},
    ]
}
MILESTONE = {"levels": [["แต่งตั้งคณะทำงาน"], ["จัดทำแผน", "เสนอแผน"], ["ดำเนินการ"], ["ติดตามผล"], ["รายงานผล"]]}
PASS_FAIL = {"condition": "ส่งรายงานภายใน 30 ก.ย."}
QUALITATIVE = {"levels": ["มีแผน", "มีการดำเนินการ", "บรรลุเป้าหมาย", "เกินเป้าหมาย", "เป็นแบบอย่าง"]}


def make_dimensions(year):
    return [
        Dimension.objects.create(fiscal_year=year, order=1, name_th="มิติด้านประสิทธิผล", weight=Decimal(60)),
        Dimension.objects.create(fiscal_year=year, order=2, name_th="มิติด้านประสิทธิภาพ", weight=Decimal(40)),
    ]


def make_agreement(unit, year, dimensions, people=(None, None)):
    """Six KPIs of all five methods, one of them a parent of two sub-KPIs."""
    agreement = Agreement.objects.create(unit=unit, fiscal_year=year)
    d1, d2 = dimensions
    supervisor, collector = people

    def add(dimension, name, weight, method, criteria, parent=None, **extra):
        return kpis.kpi_create(
            agreement=agreement,
            dimension=dimension,
            parent=parent,
            name=name,
            weight=Decimal(weight),
            method=method,
            criteria=criteria,
            supervisor=supervisor,
            collector=collector,
            **extra,
        )

    # The editor states the direction in the criteria too; the workbook must keep it.
    add(
        d1,
        "ร้อยละของผู้รับบริการที่พึงพอใจ",
        "10",
        "quantitative",
        dict(QUANT, direction="higher"),
        unit_of_measure="ร้อยละ",
        baseline=[{"year": year.be_year - 2, "value": "75.5"}, {"year": year.be_year - 1, "value": "80"}],
    )
    add(d1, "ระดับความสำเร็จของการให้บริการ", "30", "multi_quantitative", MULTI)
    add(d2, "ระดับความสำเร็จของโครงการ", "20", "milestone", MILESTONE)
    parent = add(d2, "การพัฒนาองค์กร", "40", "quantitative", {})
    add(d2, "จัดทำแผนพัฒนาบุคลากร", "15", "pass_fail", PASS_FAIL, parent=parent)
    add(d2, "คุณภาพของแผน", "25", "qualitative", QUALITATIVE, parent=parent)
    return agreement


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads and job files go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def setup(org):
    dimensions = make_dimensions(org.year)
    agreement = make_agreement(org.bureau_a, org.year, dimensions, (org.head_a, org.planner))
    return agreement


def snapshot():
    """Every KPI and every history row: a refused file must change neither."""
    return list(KPI.objects.order_by("pk").values()), KPI.history.count()


def download(client, agreement, blank=False):
    url = reverse("agreement_excel_download", args=[agreement.pk]) + ("?blank=1" if blank else "")
    response = client.get(url)
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def to_bytes(wb):
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload through the page; the import job it asks for runs at once. Returns the response and the job,
    None when the form refused the file (and nothing was stored)."""

    def send(client, agreement, data, name="kpis.xlsx"):
        before = set(Job.objects.values_list("pk", flat=True))
        file = SimpleUploadedFile(name, data, content_type=layout.CONTENT_TYPE)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("agreement_excel_upload", args=[agreement.pk]), {"file": file})
        job = Job.objects.exclude(pk__in=before).first()
        if job is not None:
            assert response.status_code == 302 and response["Location"] == reverse(
                "job_detail", args=[job.pk]
            )
            assert job.status == Job.Status.READY, job.error
        return response, job

    return send


def errors_of(job) -> list[tuple]:
    """The import's problems as the job keeps them: (sheet, row, column, header, message)."""
    return [(e["sheet"], e["row"], e["column"], e["header"], e["message"]) for e in job.outcome["errors"]]


def row_of(ws, kpi):
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == kpi.pk)


def col(ws, header):
    return next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == header)


def first_kpi(agreement):
    return agreement.kpis.get(name="ร้อยละของผู้รับบริการที่พึงพอใจ")


# --- download ---------------------------------------------------------------------------------------------


def test_the_workbook_lists_every_kpi_in_reading_order_with_thai_headers(setup, org, client_for):
    wb = download(client_for(org.head_a), setup)
    assert wb.sheetnames[:6] == [
        "ตัวชี้วัด",
        "เกณฑ์เชิงปริมาณ",
        "เกณฑ์หลายตัวชี้วัดย่อย",
        "เกณฑ์ขั้นตอน",
        "เกณฑ์ผ่านไม่ผ่าน",
        "เกณฑ์เชิงคุณภาพ",
    ]
    ws = wb["ตัวชี้วัด"]
    headers = [c.value for c in ws[1]]
    assert headers[:6] == ["รหัส", "ลำดับ", "มิติ", "ลำดับตัวชี้วัดหลัก", "ชื่อตัวชี้วัด", "น้ำหนัก"]
    assert ["ข้อมูลพื้นฐาน ปี 2567", "ข้อมูลพื้นฐาน ปี 2568", "ข้อมูลพื้นฐาน ปี 2569"] == headers[12:15]
    numbers = [ws.cell(r, 2).value for r in range(2, ws.max_row + 1)]
    assert numbers == ["1", "2", "3", "4", "4.1", "4.2"]
    r = row_of(ws, first_kpi(setup))
    assert ws.cell(r, col(ws, "ชื่อตัวชี้วัด")).value == "ร้อยละของผู้รับบริการที่พึงพอใจ"
    assert ws.cell(r, col(ws, "วิธีการให้คะแนน")).value == "เชิงปริมาณ"
    assert ws.cell(r, col(ws, "ข้อมูลพื้นฐาน ปี 2568")).value == 75.5
    assert ws.cell(r, col(ws, "ผู้กำกับดูแลตัวชี้วัด (ชื่อผู้ใช้)")).value == "head_a"
    assert ws.cell(1, 1).font.b and ws.cell(1, 1).font.name == "TH Sarabun New"
    assert ws.cell(r, 5).font.name == "TH Sarabun New"
    assert ws.freeze_panes == "C2"
    assert [c.value for c in wb["เกณฑ์เชิงปริมาณ"][2]] == ["1", 60, 70, 80, 90, 100]
    assert wb["เกณฑ์ขั้นตอน"].max_row == 1 + 6  # one row per step
    assert wb["เกณฑ์หลายตัวชี้วัดย่อย"].max_row == 1 + 2  # one row per measure
    validated = {str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert validated == {"C2:C5001", "H2:H5001", "I2:I5001"}  # dimension, method, direction


def test_the_blank_template_has_headers_and_validations_only(setup, org, client_for):
    wb = download(client_for(org.head_a), setup, blank=True)
    assert all(wb[name].max_row == 1 for name in wb.sheetnames[:6])
    assert len(wb["ตัวชี้วัด"].data_validations.dataValidation) == 3
    assert wb["รายการ"]["A2"].value == "มิติด้านประสิทธิผล"


# --- round trip -------------------------------------------------------------------------------------------


def test_an_edited_workbook_updates_the_kpis_and_records_history(setup, org, client_for, upload):
    client = client_for(org.head_a)
    wb = download(client, setup)
    kpi = first_kpi(setup)
    ws = wb["ตัวชี้วัด"]
    r = row_of(ws, kpi)
    ws.cell(r, col(ws, "ชื่อตัวชี้วัด")).value = "ร้อยละความพึงพอใจของผู้รับบริการ"
    ws.cell(r, col(ws, "น้ำหนัก")).value = 12.5
    ws.cell(r, col(ws, "ข้อมูลพื้นฐาน ปี 2569")).value = 82.25
    wb["เกณฑ์เชิงปริมาณ"]["F2"].value = 110
    history = {k.pk: k.history.count() for k in setup.kpis.all()}

    _response, job = upload(client, setup, to_bytes(wb))

    assert job.outcome["ok"] and (job.outcome["created"], job.outcome["updated"]) == (0, 1)
    kpi.refresh_from_db()
    assert kpi.name == "ร้อยละความพึงพอใจของผู้รับบริการ"
    assert kpi.weight == Decimal("12.5000") and str(kpi.weight) == "12.5000"
    assert kpi.criteria == {"thresholds": ["60", "70", "80", "90", "110"], "direction": "higher"}
    assert kpi.baseline == [{"year": 2568, "value": "75.5"}, {"year": 2569, "value": "82.25"}]
    latest = kpi.history.first()
    assert latest.history_user == org.head_a and latest.history_change_reason
    after = {k.pk: k.history.count() for k in setup.kpis.all()}
    assert after[kpi.pk] == history[kpi.pk] + 1
    assert all(after[pk] == count for pk, count in history.items() if pk != kpi.pk)


def test_uploading_the_workbook_unchanged_changes_nothing(setup, org, client_for, upload):
    client = client_for(org.head_a)
    before = snapshot()
    _response, job = upload(client, setup, to_bytes(download(client, setup)))
    assert job.outcome["ok"] and job.outcome["unchanged"] == 6
    assert snapshot() == before


def test_new_rows_become_kpis_and_the_parent_weight_follows_its_children(setup, org, client_for, upload):
    client = client_for(org.head_a)
    wb = download(client, setup)
    ws = wb["ตัวชี้วัด"]
    ws.append([None, "4.3", None, "4", "อัตราการลาออกของบุคลากร", 7.5, "ร้อยละ", "เชิงปริมาณ", "ยิ่งน้อยยิ่งดี"])
    wb["เกณฑ์เชิงปริมาณ"].append(["4.3", 10, 8, 6, 4, 2])
    _response, job = upload(client, setup, to_bytes(wb))
    assert job.outcome["ok"], job.outcome["errors"]
    parent = setup.kpis.get(name="การพัฒนาองค์กร")
    new = setup.kpis.get(name="อัตราการลาออกของบุคลากร")
    assert new.parent == parent and new.dimension == parent.dimension and new.direction == "lower"
    assert new.criteria == {"thresholds": ["10", "8", "6", "4", "2"]}
    assert new.weight == Decimal("7.5000")
    parent.refresh_from_db()
    assert parent.weight == Decimal("47.5000")
    assert [k.number for k in selectors.outline(setup.kpis.select_related("dimension"))][-1] == "4.3"


def test_a_new_parent_takes_a_new_and_a_moved_sub_kpi_each_written_once_by_the_kpi_services(setup, org):
    wb = export.agreement_workbook(setup)
    ws = wb["ตัวชี้วัด"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    moved = setup.kpis.get(method="milestone")
    for row in rows:
        if row[0] == moved.pk:
            row[3] = "9"  # under the new parent, listed above it below
    parent = [None, "9", "มิติด้านประสิทธิภาพ", None, "การบริหารความเสี่ยง", None, "ร้อยละ", "เชิงปริมาณ"]
    child = [None, "9.1", None, "9", "มีแผนบริหารความเสี่ยง", 5, "ร้อยละ", "ผลสำเร็จ/ไม่สำเร็จ"]
    ws.delete_rows(2, ws.max_row)
    for row in [*rows[:2], parent, *rows[2:], child]:
        ws.append(row)
    wb["เกณฑ์ผ่านไม่ผ่าน"].append(["9.1", "อนุมัติแผนภายใน 31 ธ.ค."])
    history = KPI.history.count()
    report = excel_import.import_workbook(setup, io.BytesIO(to_bytes(wb)), org.head_a)
    assert report.ok, report.errors
    # Updated: the moved KPI, and KPI 4, which now comes after the new parent in its dimension.
    assert (report.created, report.updated, report.unchanged) == (2, 2, 4)
    new_parent = setup.kpis.get(name="การบริหารความเสี่ยง")
    assert set(new_parent.children.values_list("name", flat=True)) == {moved.name, "มีแผนบริหารความเสี่ยง"}
    assert new_parent.weight == Decimal(25)  # 20 + 5
    written = list(KPI.history.order_by("history_id")[history:])
    assert {(r.history_user, r.history_change_reason) for r in written} == {
        (org.head_a, "imported from Excel"),
        (org.head_a, "sum of sub-KPIs"),  # the new parent, once its sub-KPIs are stored
    }
    once = [r.name for r in written if r.name != new_parent.name]
    assert sorted(once) == sorted([moved.name, "มีแผนบริหารความเสี่ยง", "การพัฒนาองค์กร"])


def test_the_import_function_applies_a_file_and_counts_what_changed(setup, org):
    wb = export.agreement_workbook(setup)
    wb["เกณฑ์ผ่านไม่ผ่าน"]["B2"].value = "ส่งรายงานภายใน 15 ก.ย."
    report = excel_import.import_workbook(setup, io.BytesIO(to_bytes(wb)), org.head_a)
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 1, 5)
    assert setup.kpis.get(method="pass_fail").criteria == {"condition": "ส่งรายงานภายใน 15 ก.ย."}


def test_steps_and_measures_are_grouped_by_kpi_and_level(setup, org):
    wb = export.agreement_workbook(setup)
    wb["เกณฑ์ขั้นตอน"].append(["3", 2, "อนุมัติแผน"])  # far below the KPI's other steps
    wb["เกณฑ์หลายตัวชี้วัดย่อย"].append(["2", "ความถูกต้อง", 1.5, 1, 2, 3, 4, 5])
    report = excel_import.import_workbook(setup, io.BytesIO(to_bytes(wb)), org.head_a)
    assert report.ok, report.errors
    milestone = setup.kpis.get(method="milestone")
    assert milestone.criteria["levels"][1] == ["จัดทำแผน", "เสนอแผน", "อนุมัติแผน"]
    multi = setup.kpis.get(method="multi_quantitative")
    assert multi.criteria["measures"][2] == {
        "name": "ความถูกต้อง",
        "weight": "1.5",
        "thresholds": ["1", "2", "3", "4", "5"],
    }


def test_a_milestone_level_without_steps_is_refused_on_the_kpis_rows(setup, org):
    wb = export.agreement_workbook(setup)
    ws = wb["เกณฑ์ขั้นตอน"]
    ws.delete_rows(7)  # the only step of level 5
    report = excel_import.import_workbook(setup, io.BytesIO(to_bytes(wb)), org.head_a)
    expected = scoring_message(ScoringError("milestone_level_empty", "levels[4]", level=5))
    assert [(e.sheet, e.row, e.column, e.message) for e in report.errors] == [("เกณฑ์ขั้นตอน", 2, "B", expected)]


def test_text_that_looks_like_a_formula_is_written_as_text(setup, org):
    kpi = first_kpi(setup)
    KPI.objects.filter(pk=kpi.pk).update(formula="=ก/ข×100")
    wb = openpyxl.load_workbook(io.BytesIO(to_bytes(export.agreement_workbook(setup))))
    ws = wb["ตัวชี้วัด"]
    cell = ws.cell(row_of(ws, kpi), col(ws, "สูตรการคำนวณ"))
    assert (cell.value, cell.data_type) == ("=ก/ข×100", "s")


# --- refusals: nothing changes ----------------------------------------------------------------------------


def _set(sheet, cell, value):
    def edit(wb):
        wb[sheet][cell].value = value

    return edit


def _delete_sheet(wb):
    del wb["เกณฑ์เชิงคุณภาพ"]


def _non_monotone(wb):
    for c, v in zip("BCDEF", [60, 80, 70, 90, 100], strict=True):
        wb["เกณฑ์เชิงปริมาณ"][f"{c}2"].value = v


REFUSALS = [
    # (edit, expected (sheet, row, column) of the first error or None for a file-level one)
    pytest.param(_delete_sheet, ("เกณฑ์เชิงคุณภาพ", None, ""), id="missing-sheet"),
    pytest.param(_set("ตัวชี้วัด", "E1", "ชื่อ"), ("ตัวชี้วัด", 1, "E"), id="wrong-header"),
    pytest.param(_set("ตัวชี้วัด", "F2", "สิบ"), ("ตัวชี้วัด", 2, "F"), id="text-in-number-cell"),
    pytest.param(_set("ตัวชี้วัด", "F2", "=10+2.5"), ("ตัวชี้วัด", 2, "F"), id="formula"),
    pytest.param(_set("เกณฑ์เชิงปริมาณ", "D2", "=C2+5"), ("เกณฑ์เชิงปริมาณ", 2, "D"), id="formula-in-criteria"),
    pytest.param(_non_monotone, ("เกณฑ์เชิงปริมาณ", 2, "B"), id="invalid-criteria"),
    pytest.param(_set("ตัวชี้วัด", "C2", "มิติที่ไม่มี"), ("ตัวชี้วัด", 2, "C"), id="unknown-dimension"),
    pytest.param(_set("ตัวชี้วัด", "H2", "ตามใจ"), ("ตัวชี้วัด", 2, "H"), id="unknown-method"),
    pytest.param(_set("ตัวชี้วัด", "I2", "ขึ้น"), ("ตัวชี้วัด", 2, "I"), id="unknown-direction"),
    pytest.param(_set("ตัวชี้วัด", "R2", "nobody"), ("ตัวชี้วัด", 2, "R"), id="unknown-username"),
    pytest.param(_set("ตัวชี้วัด", "E2", None), ("ตัวชี้วัด", 2, "E"), id="missing-name"),
    pytest.param(_set("ตัวชี้วัด", "D3", "9"), ("ตัวชี้วัด", 3, "D"), id="unknown-parent"),
    pytest.param(_set("เกณฑ์เชิงปริมาณ", "A2", "2"), ("เกณฑ์เชิงปริมาณ", 2, "A"), id="criteria-of-another-method"),
    pytest.param(_set("ตัวชี้วัด", "F2", 1000), ("ตัวชี้วัด", 2, "F"), id="weight-too-large"),
]


@pytest.mark.parametrize("edit, where", REFUSALS)
def test_a_broken_file_changes_nothing_and_says_where(setup, org, client_for, upload, edit, where):
    client = client_for(org.head_a)
    wb = download(client, setup)
    wb["ตัวชี้วัด"]["E7"].value = "ชื่อที่แก้แล้ว"  # a good change that must not be applied either
    edit(wb)
    before = snapshot()
    _response, job = upload(client, setup, to_bytes(wb))
    errors = errors_of(job)
    assert not job.outcome["ok"] and errors and errors[0][:3] == where
    assert snapshot() == before


def test_non_monotone_thresholds_are_refused_with_the_engines_message(setup, org):
    wb = export.agreement_workbook(setup)
    _non_monotone(wb)
    before = snapshot()
    report = excel_import.import_workbook(setup, io.BytesIO(to_bytes(wb)), org.head_a)
    expected = scoring_message(ScoringError("thresholds_not_monotone", "thresholds"))
    assert [(e.sheet, e.row, e.column, e.message) for e in report.errors] == [
        ("เกณฑ์เชิงปริมาณ", 2, "B", expected)
    ]
    assert snapshot() == before


def test_thresholds_against_the_stated_direction_are_refused(setup, org):
    wb = export.agreement_workbook(setup)
    wb["ตัวชี้วัด"]["I2"].value = "ยิ่งน้อยยิ่งดี"
    report = excel_import.import_workbook(setup, io.BytesIO(to_bytes(wb)), org.head_a)
    expected = scoring_message(
        ScoringError("direction_mismatch", "thresholds", actual="up", expected="lower")
    )
    assert [(e.sheet, e.row, e.column, e.message) for e in report.errors] == [
        ("เกณฑ์เชิงปริมาณ", 2, "B", expected)
    ]


def test_text_in_a_number_cell_names_sheet_row_and_column(setup, org, client_for, upload):
    client = client_for(org.head_a)
    wb = download(client, setup)
    wb["เกณฑ์หลายตัวชี้วัดย่อย"]["C3"].value = "หนึ่ง"
    response, job = upload(client, setup, to_bytes(wb))
    ((sheet, row, column, header, message),) = errors_of(job)
    assert (sheet, row, column, header) == ("เกณฑ์หลายตัวชี้วัดย่อย", 3, "C", "น้ำหนัก")
    assert "หนึ่ง" in message
    html = client.get(response["Location"]).content.decode()  # the job's page
    assert "เกณฑ์หลายตัวชี้วัดย่อย" in html and "แถว 3" in html and "หนึ่ง" in html


def test_every_problem_of_a_file_is_listed_at_once(setup, org):
    wb = export.agreement_workbook(setup)
    wb["ตัวชี้วัด"]["F2"].value = "สิบ"
    wb["ตัวชี้วัด"]["R4"].value = "nobody"
    wb["เกณฑ์เชิงคุณภาพ"]["C2"].value = "=B2"
    report = excel_import.import_workbook(setup, io.BytesIO(to_bytes(wb)), org.head_a)
    assert {(e.sheet, e.row, e.column) for e in report.errors} == {
        ("ตัวชี้วัด", 2, "F"),
        ("ตัวชี้วัด", 4, "R"),
        ("เกณฑ์เชิงคุณภาพ", 2, "C"),
    }


@pytest.mark.parametrize(
    "data",
    [b"this is not a workbook", b"PK\x03\x04 but not a zip", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old .xls"],
    ids=["text", "broken-zip", "xls"],
)
def test_a_file_that_is_not_xlsx_is_refused(setup, org, client_for, upload, data):
    before = snapshot()
    _response, job = upload(client_for(org.head_a), setup, data)
    ((sheet, row, *_rest),) = errors_of(job)
    assert sheet == "" and row is None
    assert snapshot() == before


def test_a_file_with_another_extension_is_refused_by_the_form(setup, org, client_for, upload):
    client = client_for(org.head_a)
    before = snapshot()
    response, job = upload(client, setup, to_bytes(download(client, setup)), name="kpis.csv")
    assert response.status_code == 200 and response.context["form"].errors["file"] and job is None
    assert snapshot() == before


def test_a_file_over_the_size_limit_is_refused(setup, org, client_for, upload, monkeypatch):
    client = client_for(org.head_a)
    data = to_bytes(download(client, setup))
    monkeypatch.setattr(parse, "MAX_UPLOAD_BYTES", len(data) - 1)
    before = snapshot()
    response, job = upload(client, setup, data)
    assert response.status_code == 200 and response.context["form"].errors["file"] and job is None
    report = excel_import.import_workbook(setup, io.BytesIO(data), org.head_a)
    assert not report.ok and report.errors[0].row is None
    assert snapshot() == before


def test_a_sheet_with_too_many_rows_is_refused(setup, org, client_for, upload, monkeypatch):
    monkeypatch.setattr(parse, "MAX_ROWS", 5)
    client = client_for(org.head_a)
    before = snapshot()
    _response, job = upload(client, setup, to_bytes(download(client, setup)))  # six KPI rows
    assert {(sheet, row) for sheet, row, *_rest in errors_of(job)} == {("ตัวชี้วัด", 7), ("เกณฑ์ขั้นตอน", 7)}
    assert snapshot() == before


def test_a_code_of_another_agreements_kpi_is_refused(setup, org, client_for, upload):
    other = make_agreement(org.bureau_b, org.year, list(org.year.dimensions.all()))
    client = client_for(org.head_a)
    wb = download(client, setup)
    wb["ตัวชี้วัด"]["A2"].value = other.kpis.first().pk
    before = snapshot()
    _response, job = upload(client, setup, to_bytes(wb))
    (error,) = errors_of(job)
    assert error[:3] == ("ตัวชี้วัด", 2, "A")
    assert snapshot() == before


def test_an_agreement_that_is_not_a_draft_is_not_changed(setup, org):
    data = to_bytes(export.agreement_workbook(setup))
    Agreement.objects.filter(pk=setup.pk).update(status="signed")
    setup.refresh_from_db()
    before = snapshot()
    report = excel_import.import_workbook(setup, io.BytesIO(data), org.head_a)
    assert not report.ok
    assert snapshot() == before


# --- who may ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head_b", "outsider"])
def test_other_units_and_outsiders_can_neither_download_nor_upload(setup, org, client_for, upload, persona):
    client = client_for(getattr(org, persona))
    data = to_bytes(export.agreement_workbook(setup))
    before = snapshot()
    assert client.get(reverse("agreement_excel_download", args=[setup.pk])).status_code == 404
    assert client.get(reverse("agreement_excel_upload", args=[setup.pk])).status_code == 404
    response, job = upload(client, setup, data)
    assert response.status_code == 404 and job is None
    assert snapshot() == before


def test_a_committee_member_may_download_but_not_upload(setup, org, client_for):
    client = client_for(org.member)
    assert client.get(reverse("agreement_excel_download", args=[setup.pk])).status_code == 200
    assert client.get(reverse("agreement_excel_upload", args=[setup.pk])).status_code == 404


def test_the_planner_may_upload(setup, org, client_for):
    response = client_for(org.planner).get(reverse("agreement_excel_upload", args=[setup.pk]))
    assert response.status_code == 200


def test_anonymous_users_are_sent_to_log_in(setup, client):
    response = client.get(reverse("agreement_excel_download", args=[setup.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the year's KPIs --------------------------------------------------------------------------------------


@pytest.fixture
def year_export(django_capture_on_commit_callbacks):
    """Ask for the year's workbook (a background job, run at once) and download it from the job."""

    def run(client, year):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("year_excel_export", args=[year.pk]))
        assert response.status_code == 302
        job = Job.objects.filter(kind="agreements.year_export").first()
        assert response["Location"] == reverse("job_detail", args=[job.pk]) and job.status == Job.Status.READY
        download = client.get(reverse("job_download", args=[job.pk]))
        assert download.status_code == 200
        assert download["Content-Type"] == layout.CONTENT_TYPE
        assert "kpis-2570.xlsx" in download["Content-Disposition"]
        return openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))

    return run


def _more_agreements(org, count):
    dimensions = list(org.year.dimensions.all())
    start = Agreement.objects.count()
    for i in range(start, start + count):
        unit = org_services.unit_create(
            parent=org.dept, name_th=f"สำนักที่ {i}", abbreviation=f"ส{i}.", unit_type=org.bureau_a.unit_type
        )
        make_agreement(unit, org.year, dimensions, (org.head_a, None))


def test_the_year_export_holds_every_kpi(setup, org, client_for, year_export):
    _more_agreements(org, 1)
    ws = year_export(client_for(org.executive), org.year).active
    assert ws.title == "ตัวชี้วัด ปีงบประมาณ 2570"
    ids = {ws.cell(r, 3).value for r in range(2, ws.max_row + 1)}
    assert ids == set(KPI.objects.values_list("pk", flat=True)) and ws.max_row == 1 + 12
    first = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 3).value == first_kpi(setup).pk)
    row = [c.value for c in ws[first]]
    assert row[:2] == ["สอ.", "สำนักเอ"] and row[3] == "1" and row[6] == 10
    assert row[10:15] == [60, 70, 80, 90, 100]
    assert row[-2] == org.head_a.display_name


def test_the_year_export_costs_the_same_queries_for_2_and_6_agreements(setup, org, client_for, year_export):
    client = client_for(org.executive)
    _more_agreements(org, 1)
    year_export(client, org.year)  # warm the session
    with CaptureQueriesContext(connection) as two:  # the request, the job, the download
        ws = year_export(client, org.year).active
    assert ws.max_row == 1 + 2 * 6
    _more_agreements(org, 4)
    with CaptureQueriesContext(connection) as six:
        ws = year_export(client, org.year).active
    assert ws.max_row == 1 + 6 * 6
    assert len(six.captured_queries) == len(two.captured_queries)


def test_the_year_export_shows_only_the_agreements_the_user_may_see(setup, org, client_for, year_export):
    other_unit = org_services.unit_create(
        parent=org.other_dept, name_th="สำนักอื่น", abbreviation="สอน.", unit_type=org.bureau_a.unit_type
    )
    make_agreement(other_unit, org.year, list(org.year.dimensions.all()))
    ws = year_export(client_for(org.planner), org.year).active  # the planner covers dept only
    assert {ws.cell(r, 1).value for r in range(2, ws.max_row + 1)} == {"สอ."}


@pytest.mark.parametrize("persona", ["head_a", "outsider"])
def test_the_year_export_is_for_planning_staff_and_executives(setup, org, client_for, persona):
    client = client_for(getattr(org, persona))
    assert client.get(reverse("year_excel_export", args=[org.year.pk])).status_code == 404
    assert client.post(reverse("year_excel_export", args=[org.year.pk])).status_code == 404
    assert not Job.objects.exists()
