"""A round report's documents (issue 10 item 7): the e-SAR card (PDF, Excel) and the SAR, rendered by
background jobs, read from the stored round cards; the job pages and who may see them."""

import io
import re
import subprocess
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kpi_agreements.agreements.models import KPI
from kpi_agreements.reporting import render
from kpi_agreements.reporting.jobs import CARD_PDF, CARD_XLSX, SAR_PDF
from kpi_agreements.reporting.models import ReportEvidence, Round
from kpi_agreements.reporting.services import flow
from kpi_agreements.workflow.jobs import job_request
from kpi_agreements.workflow.models import Job
from tests.factories import add_kpi, open_report, sign

BANGKOK = ZoneInfo("Asia/Bangkok")
# FY 2570's 12-month deadline, Sunday 31 Oct 2027, rolls forward to Monday 1 Nov; Friday 5 Nov is 4 working
# days late: 4 × 0.05 = 0.2000 off the 12-month card (§8).
LATE = datetime(2027, 11, 5, 10, 0, tzinfo=BANGKOK)
MEASURES = {
    "measures": [
        {"name": "ความพึงพอใจ", "weight": "60", "thresholds": ["1", "2", "3", "4", "5"]},
        {"name": "ความรวดเร็ว", "weight": "40", "thresholds": ["10", "20", "30", "40", "50"]},
    ]
}
STEPS = [["ตั้งคณะทำงาน"], ["จัดทำแผน", "อนุมัติแผน"], ["ทดสอบระบบ"], ["เปิดใช้ระบบ"], ["ประเมินผลระบบ"]]
LEVELS = ["รายงานไม่ครบ", "รายงานครบบางส่วน", "รายงานครบถ้วน", "รายงานครบและทันเวลา", "รายงานดีเด่น"]
BASELINE = [{"year": 2567, "value": "81"}, {"year": 2568, "value": "83.5"}, {"year": 2569, "value": "84"}]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text in drawing order, white space squeezed (as tests/test_documents.py reads it)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True)
    text = re.sub("\u0e4d([\u0e48-\u0e4b]?)\u0e32", "\\1\u0e33", out.stdout)
    return re.sub(r"\s+", " ", text)


def run(capture, **request):
    """Request a job and run it as the outbox does after the commit; the job fresh from the database."""
    with capture(execute=True):
        job = job_request(**request)
    return Job.objects.get(pk=job.pk)


def job_bytes(job) -> bytes:
    assert job.status == Job.Status.READY, job.error
    with job.file.open("rb") as f:
        return f.read()


@pytest.fixture
def mixed(org, dims, agreement):
    """Bureau A's signed agreement with every method: 1 (1.1 quantitative 20, 1.2 several measures 25),
    2 milestones 15, 3 pass/fail 20, 4 qualitative 20."""
    people = dict(supervisor=org.supervisor, collector=org.collector)
    parent = add_kpi(agreement, dims[0], "45", "ความสำเร็จของการเบิกจ่าย", **people)
    add_kpi(agreement, dims[0], "20", "ร้อยละการเบิกจ่ายงบลงทุน", parent=parent, baseline=BASELINE, **people)
    add_kpi(
        agreement,
        dims[0],
        "25",
        "ดัชนีคุณภาพบริการ",
        parent=parent,
        method="multi_quantitative",
        criteria=MEASURES,
        unit_of_measure="คะแนน",
        **people,
    )
    add_kpi(
        agreement,
        dims[1],
        "15",
        "ความสำเร็จของระบบงาน",
        method="milestone",
        criteria={"levels": STEPS},
        unit_of_measure="ระดับ",
        **people,
    )
    add_kpi(
        agreement,
        dims[2],
        "20",
        "ศูนย์บริการร่วม",
        method="pass_fail",
        criteria={"condition": "เปิดศูนย์ภายในกันยายน"},
        unit_of_measure="ระดับ",
        **people,
    )
    add_kpi(
        agreement,
        dims[3],
        "20",
        "คุณภาพรายงานประจำปี",
        method="qualitative",
        criteria={"levels": LEVELS},
        unit_of_measure="ระดับ",
        **people,
    )
    return sign(agreement)


RESULTS = {
    "1.1": ({"actual": "85"}, "85"),
    "1.2": ({"actuals": ["4", "35"]}, "ความพึงพอใจ 4; ความรวดเร็ว 35"),
    "2": ({"done": [[True], [True, True], [True], [False], [False]]}, "ดำเนินการถึงระดับ 3"),
    "3": ({"passed": True}, "สำเร็จ"),
    "4": ({"level": 4}, "ระดับ 4"),
}


BY_METHOD = dict(
    zip(
        ["quantitative", "multi_quantitative", "milestone", "pass_fail", "qualitative"],
        RESULTS.values(),
        strict=True,
    )
)


def enter_all(report, user, **extra):
    for item in report.items.filter(is_leaf=True):
        result, _words = BY_METHOD[item.method]
        flow.item_enter(item=item, user=user, result=result, narrative=f"ผลงานของตัวชี้วัด {item.code}", **extra)


@pytest.fixture
def late12(mixed, org, monkeypatch):
    """The 12-month report of ``mixed``, every result entered, submitted 4 working days late."""
    report = open_report(mixed, 12)
    enter_all(
        report, org.collector, obstacles="งบประมาณล่าช้า", obstacles_external=True, suggestions="ขยายเวลา"
    )
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: LATE)
        flow.report_submit(report=report, user=org.head_a)
    report.refresh_from_db()
    return report


def test_the_late_report_carries_a_penalty(late12):
    # The numbers every other test reads back from the documents: stored by the engine, checked by hand.
    assert (late12.days_late, late12.penalty) == (4, Decimal("0.2000"))
    card = late12.self_card
    # 1.1: 85 between 80 and 90 → 3.5; 1.2: 0.6 × 4 + 0.4 × 3.5 = 3.8; 2: level 3; 3: pass 5; 4: level 4.
    assert {c: card["kpis"][c]["score"] for c in RESULTS} == {
        "1.1": "3.5000",
        "1.2": "3.8000",
        "2": "3.0000",
        "3": "5.0000",
        "4": "4.0000",
    }
    # 0.7 + 0.95 + 0.45 + 1 + 0.8 = 3.9; minus 0.2.
    assert (card["subtotal"], card["penalty"], card["total"]) == ("3.9000", "0.2000", "3.7000")


# --- the e-SAR card ----------------------------------------------------------------------------------------


def test_the_card_pdf_carries_every_kpis_weight_result_score_and_the_totals(
    late12, org, tmp_path, django_capture_on_commit_callbacks
):
    job = run(
        django_capture_on_commit_callbacks, kind=CARD_PDF, user=org.head_a, subject=late12, basis="self"
    )
    assert job.filename.endswith(".pdf") and job.percent == 100
    text = pdf_text(job_bytes(job), tmp_path)
    squeezed = text.replace(" ", "")
    card = late12.self_card
    # The header: unit, year, round, period and submission in B.E., days late.
    assert "บัตรคะแนนผลการปฏิบัติราชการ (e-SAR Card)" in text and "สำนักเอ" in text
    assert "ประจำปีงบประมาณ พ.ศ. 2570 รอบ 12 เดือน" in text and "ผลการประเมินตนเอง" in text
    assert "ระยะเวลา 1 ตุลาคม 2569 ถึง 30 กันยายน 2570" in text
    assert "วันที่ส่งรายงาน 5 พฤศจิกายน 2570" in text and "ส่งล่าช้า 4 วันทำการ" in text
    # Every row: number, name, weight as written, then (after baseline and target) result, score, weighted.
    for item in late12.items.all():
        figures = card["kpis"][item.code]
        weight = {"45.0000": "45", "25.0000": "25", "20.0000": "20", "15.0000": "15"}[figures["weight"]]
        row = squeezed.split(f"{item.code}{item.name.replace(' ', '')}")[1][:200]
        assert row.startswith(f"{item.unit_of_measure}{weight}"), row
        tail = f"{figures['score']}{figures['weighted']}"
        if item.is_leaf:
            tail = RESULTS[item.code][1].replace(" ", "") + tail
        assert tail in row, (item.code, row)
    # Baseline (past years), target (level 3), result: t3 of 1.1; t3 of each measure of 1.2; short texts.
    assert "ร้อยละ 20 81 83.5 84 80 85 3.5000 0.7000" in text
    assert "ความพึงพอใจ 3; ความรวดเร็ว 30" in text
    assert "ระดับ 3 ดำเนินการถึงระดับ 3" in text and "สำเร็จ สำเร็จ 5.0000" in text
    # Dimension rows with their stored figures, then the totals.
    for dim in late12.items.values_list("dimension__order", "dimension__name_th", "dimension_id").distinct():
        figures = card["dimensions"][str(dim[2])]
        assert f"มิติที่{dim[0]}{dim[1]}" in squeezed
        assert f"{figures['score']}{figures['weighted']}" in squeezed
    assert "คะแนนรวม 3.9000" in text
    assert "หักคะแนนส่งล่าช้า (4 วันทำการ) 0.2000" in text
    assert "คะแนนสุทธิ 3.7000" in text
    assert "ยังไม่ผ่านการตรวจสอบ" not in text


def test_the_card_reads_the_stored_card_and_never_recomputes(late12, tmp_path):
    # A stored figure that the engine would never give is printed as stored.
    card = late12.self_card
    card["kpis"]["3"]["score"], card["total"] = "4.1234", "2.7182"
    type(late12).objects.filter(pk=late12.pk).update(self_card=card)
    text = pdf_text(render.render_card_pdf(late12, basis="self"), tmp_path)
    assert "4.1234" in text and "คะแนนสุทธิ 2.7182" in text


def test_a_verified_card_before_verification_is_marked_not_verified(late12, tmp_path):
    text = pdf_text(render.render_card_pdf(late12, basis="verified"), tmp_path)
    assert "ผลการตรวจสอบ" in text and "ยังไม่ผ่านการตรวจสอบ" in text


def test_the_verified_card_shows_the_verifiers_result_and_score(late12, org, tmp_path):
    item = late12.items.get(code="1.1")
    flow.item_verify(item=item, user=org.member, result={"actual": "95"}, note="ตรวจแล้ว")
    flow.report_verify(report=late12, user=org.member)
    late12.refresh_from_db()
    text = pdf_text(render.render_card_pdf(late12, basis="verified"), tmp_path)
    figures = late12.verified_card["kpis"]["1.1"]
    assert figures["score"] == "4.5000"
    assert f"95 {figures['score']} {figures['weighted']}" in text
    assert f"คะแนนสุทธิ {late12.verified_card['total']}" in text
    assert "ยังไม่ผ่านการตรวจสอบ" not in text


def test_the_card_pdf_in_thai_digits(late12, tmp_path):
    text = pdf_text(render.render_card_pdf(late12, basis="self", thai_digits=True), tmp_path)
    assert "คะแนนสุทธิ ๓.๗๐๐๐" in text and "พ.ศ. ๒๕๗๐" in text
    assert not re.search(r"[0-9]", text)


def test_the_card_excel_has_the_stored_numbers_to_4_places(late12, org, django_capture_on_commit_callbacks):
    job = run(
        django_capture_on_commit_callbacks, kind=CARD_XLSX, user=org.head_a, subject=late12, basis="self"
    )
    assert job.filename.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(job_bytes(job))).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = next(r for r in rows if r[0] == "ลำดับ")
    score, weighted = header.index("คะแนนที่ได้"), header.index("คะแนนถ่วงน้ำหนัก")
    card = late12.self_card
    by_code = {r[0]: r for r in rows[rows.index(header) + 1 :] if r[0]}
    assert set(by_code) == set(card["kpis"])
    for code, figures in card["kpis"].items():
        row = by_code[code]
        for col, key in [(3, "weight"), (score, "score"), (weighted, "weighted")]:
            assert isinstance(row[col], (int, float)), (code, key, row[col])
            assert f"{row[col]:.4f}" == figures[key], (code, key)
    for code in RESULTS:
        assert by_code[code][header.index("ผลการดำเนินงาน")] == RESULTS[code][1]
    numbers = {
        r[1]: r[weighted] for r in rows if r[1] in ("คะแนนรวม", "คะแนนสุทธิ") or str(r[1]).startswith("หัก")
    }
    assert {k: f"{v:.4f}" for k, v in numbers.items()} == {
        "คะแนนรวม": card["subtotal"],
        "หักคะแนนส่งล่าช้า (4 วันทำการ)": card["penalty"],
        "คะแนนสุทธิ": card["total"],
    }
    assert ws.cell(row=rows.index(header) + 2, column=score + 1).number_format == "0.0000"


def test_later_round_and_cancelled_kpis_are_listed_apart_with_their_markers(mixed, org, tmp_path):
    cancelled = KPI.objects.get(agreement=mixed, name="ศูนย์บริการร่วม")
    KPI.objects.filter(pk=cancelled.pk).update(cancelled_from_round=9)
    report = open_report(mixed, 9)
    assert not report.items.filter(kpi=cancelled).exists()
    enter_all(report, org.collector)
    later = report.items.get(code="3")  # the qualitative KPI, third once the cancelled one is gone
    flow.item_enter(item=later, user=org.collector, later_round=True, later_reason="เริ่มโครงการไตรมาสสี่")
    report.refresh_from_db()
    assert "3" not in report.self_card["kpis"]
    text = pdf_text(render.render_card_pdf(report, basis="self"), tmp_path)
    main, apart = text.split("คะแนนสุทธิ")
    assert later.name not in main and cancelled.name not in main
    assert f"3 {later.name} [เริ่มรายงานรอบถัดไป] 20 เริ่มโครงการไตรมาสสี่" in apart
    assert f"{cancelled.name} 20 [ยกเลิกตัวชี้วัด] ตั้งแต่รอบ 9 เดือน" in apart
    ws = load_workbook(io.BytesIO(render.render_card_xlsx(report, basis="self"))).active
    cells = [c.value for r in ws.iter_rows() for c in r]
    assert "เริ่มรายงานรอบถัดไป" in cells and "ยกเลิกตัวชี้วัด ตั้งแต่รอบ 9 เดือน" in cells


# --- the SAR -----------------------------------------------------------------------------------------------


def test_the_sar_pdf_has_the_cover_and_every_kpis_report_and_evidence(
    late12, org, tmp_path, django_capture_on_commit_callbacks
):
    org.head_a.title, org.head_a.first_name, org.head_a.last_name = "นาย", "สมชาย", "ใจดี"
    org.head_a.position = "ผู้อำนวยการสำนักเอ"
    org.head_a.save()
    item = late12.items.get(code="1.1")
    ReportEvidence.objects.create(
        item=item,
        file=SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes"),
        name="รายงานการประชุม-ครั้งที่-3.pdf",
        size=16,
        uploaded_by=org.collector,
    )
    job = run(
        django_capture_on_commit_callbacks, kind=SAR_PDF, user=org.planner, subject=late12, thai_digits=False
    )
    text = pdf_text(job_bytes(job), tmp_path)
    cover = text.split("ตัวชี้วัดที่ 1 ")[0]
    assert "รายงานผลการประเมินตนเอง" in cover and "สำนักเอ" in cover and "รอบ 12 เดือน" in cover
    assert "ระยะเวลา 1 ตุลาคม 2569 ถึง 30 กันยายน 2570" in cover
    assert "วันที่ส่งรายงาน 5 พฤศจิกายน 2570" in cover
    assert "หัวหน้าส่วนราชการ นายสมชาย ใจดี ตำแหน่ง ผู้อำนวยการสำนักเอ" in cover
    assert "คะแนนประเมินตนเอง 3.7000" in cover
    for leaf in late12.items.filter(is_leaf=True):
        section = text.split(f"ตัวชี้วัดที่ {leaf.code} {leaf.name}")[1].split("ตัวชี้วัดที่ ")[0]
        figures = late12.self_card["kpis"][leaf.code]
        assert f"ผลที่ได้ {RESULTS[leaf.code][1]}" in section
        assert f"คะแนนที่ได้ {figures['score']} (คะแนนถ่วงน้ำหนัก {figures['weighted']})" in section
        assert f"ผลการดำเนินงาน ผลงานของตัวชี้วัด {leaf.code}" in section
        assert "ปัญหาอุปสรรค งบประมาณล่าช้า (อยู่นอกเหนือการควบคุมของหน่วยงาน)" in section
        assert "ข้อเสนอแนะ ขยายเวลา" in section
        assert "คำอธิบาย คำอธิบาย" in section and "สูตรการคำนวณ ก / ข × 100" in section
    first = text.split("ตัวชี้วัดที่ 1.1 ")[1].split("ตัวชี้วัดที่ ")[0]
    assert "หลักฐานอ้างอิง 1. รายงานการประชุม-ครั้งที่-3.pdf" in first
    assert "ระดับ 1 ระดับ 2 ระดับ 3 ระดับ 4 ระดับ 5 60 70 80 90 100" in first  # the criteria table
    assert "ระดับ 3 1) ทดสอบระบบ" in text and "ระดับ 4 รายงานครบและทันเวลา" in text


def test_the_9_month_round_has_no_sar(mixed, org, client_for, django_capture_on_commit_callbacks):
    report = open_report(mixed, 9)
    page = client_for(org.head_a).get(reverse("report_documents", args=[report.pk])).content.decode()
    assert 'value="card_pdf_self"' in page and 'value="sar_pdf"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.head_a).post(
            reverse("report_documents", args=[report.pk]), {"document": "sar_pdf"}
        )
    assert response.status_code == 302 and not Job.objects.exists()
    job = run(django_capture_on_commit_callbacks, kind=SAR_PDF, user=org.head_a, subject=report)
    assert job.status == Job.Status.FAILED and "no SAR" in job.error


# --- jobs: requested from the page, run after the response, failing visibly ---------------------------------


def test_requesting_a_document_writes_a_job_and_returns_at_once(
    report, org, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(render, "render_card_pdf", lambda *a, **k: calls.append((a, k)) or b"%PDF-1.7 fake")
    client = client_for(org.head_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("report_documents", args=[report.pk]),
            {"document": "card_pdf_verified", "thai_digits": "on"},
        )
    assert response.status_code == 302 and response["Location"] == reverse(
        "report_documents", args=[report.pk]
    )
    job = Job.objects.get()
    assert (job.kind, job.params, job.status, job.requested_by) == (
        CARD_PDF,
        {"basis": "verified", "thai_digits": True},
        Job.Status.PENDING,
        org.head_a,
    )
    assert job.subject == report and calls == [] and len(callbacks) == 1
    page = client.get(reverse("report_documents", args=[report.pk])).content.decode()
    assert reverse("job_detail", args=[job.pk]) in page and 'hx-trigger="every 2s"' in page
    callbacks[0]()  # the outbox publishes after the commit; tasks run in-process in tests
    job.refresh_from_db()
    assert job.status == Job.Status.READY and len(calls) == 1 and calls[0][1]["basis"] == "verified"
    page = client.get(reverse("report_documents", args=[report.pk])).content.decode()
    assert reverse("job_download", args=[job.pk]) in page and 'hx-trigger="every 2s"' not in page
    download = client.get(reverse("job_download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"%PDF-1.7 fake"


def test_a_failing_render_leaves_the_job_failed_with_its_reason_and_it_may_be_requested_again(
    report, org, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("ไม่พบแบบอักษร Sarabun")

    monkeypatch.setattr(render, "render_card_xlsx", broken)
    job = run(
        django_capture_on_commit_callbacks, kind=CARD_XLSX, user=org.head_a, subject=report, basis="self"
    )
    assert job.status == Job.Status.FAILED and job.error == "RuntimeError: ไม่พบแบบอักษร Sarabun"
    assert not job.file and job.finished_at is not None
    client = client_for(org.planner)  # reads the report; did not ask for the job
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "RuntimeError: ไม่พบแบบอักษร Sarabun" in page and reverse("job_again", args=[job.pk]) in page
    assert client.get(reverse("job_download", args=[job.pk])).status_code == 404
    monkeypatch.setattr(render, "render_card_xlsx", lambda *a, **k: b"PK fake workbook")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("job_again", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.error) == (Job.Status.READY, "")
    download = client.get(reverse("job_download", args=[job.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_ready_job_is_not_run_again(
    report, org, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(render, "render_card_pdf", lambda *a, **k: b"%PDF fake")
    job = run(
        django_capture_on_commit_callbacks, kind=CARD_PDF, user=org.head_a, subject=report, basis="self"
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(org.head_a).post(reverse("job_again", args=[job.pk]))
    assert response.status_code == 302 and callbacks == []
    assert Job.objects.get(pk=job.pk).status == Job.Status.READY


def test_the_job_page_polls_while_unfinished_and_shows_its_progress(report, org, client_for):
    job = Job.objects.create(kind=SAR_PDF, subject=report, requested_by=org.head_a, done=1, total=4)
    client = client_for(org.head_a)
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'value="25"' in page and "25%" in page
    assert reverse("report_documents", args=[report.pk]) in page  # the way back
    fragment = client.get(reverse("job_detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<section") and "<html" not in fragment
    Job.objects.filter(pk=job.pk).update(status=Job.Status.READY, outcome={"errors": ["แถว 3: ไม่มีผล"]})
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' not in page and "แถว 3: ไม่มีผล" in page


# --- who may see what ---------------------------------------------------------------------------------------


@pytest.fixture
def ready(report, org, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(render, "render_card_pdf", lambda *a, **k: b"%PDF fake")
    return run(
        django_capture_on_commit_callbacks, kind=CARD_PDF, user=org.head_a, subject=report, basis="self"
    )


@pytest.mark.parametrize("persona", ["outsider", "head_b"])
@pytest.mark.parametrize(
    "url, method",
    [
        ("report_documents", "get"),
        ("report_documents", "post"),
        ("job_detail", "get"),
        ("job_download", "get"),
        ("job_again", "post"),
    ],
)
def test_others_get_404(ready, report, org, client_for, persona, url, method):
    Job.objects.filter(pk=ready.pk).update(status=Job.Status.FAILED)  # again would be allowed to a reader
    pk = report.pk if url == "report_documents" else ready.pk
    response = getattr(client_for(getattr(org, persona)), method)(
        reverse(url, args=[pk]), {"document": "card_pdf_self"}
    )
    assert response.status_code == 404
    assert Job.objects.count() == 1 and Job.objects.get().status == Job.Status.FAILED


@pytest.mark.parametrize("persona", ["head_a", "planner", "collector", "member", "executive"])
def test_readers_of_the_report_see_its_jobs(ready, org, client_for, persona):
    client = client_for(getattr(org, persona))
    assert client.get(reverse("job_detail", args=[ready.pk])).status_code == 200
    assert client.get(reverse("job_download", args=[ready.pk])).status_code == 200


def test_a_round_wide_job_is_its_requesters_alone(report, org, client_for):
    job = Job.objects.create(
        kind=CARD_PDF, subject=Round.objects.get(pk=report.round_id), requested_by=org.planner
    )
    assert client_for(org.planner).get(reverse("job_detail", args=[job.pk])).status_code == 200
    for persona in ("admin", "head_a", "executive"):
        assert client_for(getattr(org, persona)).get(reverse("job_detail", args=[job.pk])).status_code == 404


def test_jobs_need_a_login(ready, client):
    response = client.get(reverse("job_download", args=[ready.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_documents_page_costs_the_same_at_two_sizes(
    report, org, client_for, django_assert_max_num_queries
):
    client = client_for(org.head_a)
    url = reverse("report_documents", args=[report.pk])

    def queries(n):
        Job.objects.bulk_create(
            [
                Job(kind=CARD_PDF, subject=report, requested_by=org.head_a, params={"basis": "self"})
                for _ in range(n)
            ]
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    assert queries(2) == queries(12)
