"""The official PDF of an agreement (issue 5 item 4): content, Thai digits, the task, downloads."""

import hashlib
import re
import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kpi_agreements.agreements.models import Party
from kpi_agreements.documents import render
from kpi_agreements.documents.models import AgreementDocument
from kpi_agreements.documents.render import render_agreement_pdf, thai_digits_html
from kpi_agreements.documents.services import document_request
from kpi_agreements.documents.tasks import render_agreement_document
from tests.conftest import make_person
from tests.factories import add_kpi

BANGKOK = ZoneInfo("Asia/Bangkok")
FAKE_PDF = b"%PDF-1.7\n% a stand-in: these tests are about the task, not the layout\n"

BASELINE = [{"year": 2567, "value": "85.5"}, {"year": 2568, "value": "88"}, {"year": 2569, "value": "90.25"}]
MEASURES = {
    "measures": [
        {"name": "ความพึงพอใจ", "weight": "60", "thresholds": ["1", "2", "3", "4", "5"]},
        {"name": "ความรวดเร็ว", "weight": "40", "thresholds": ["10", "20", "30", "40", "50"]},
    ]
}
STEPS = [["ตั้งคณะทำงาน"], ["จัดทำแผน", "อนุมัติแผน"], ["ทดสอบระบบ"], ["เปิดใช้ระบบ"], ["ประเมินผลระบบ"]]
CONDITION = "เปิดศูนย์บริการภายในเดือนกันยายน"
DESCRIPTIONS = ["รายงานไม่ครบ", "รายงานครบบางส่วน", "รายงานครบถ้วน", "รายงานครบและทันเวลา", "รายงานดีเด่น"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text in drawing order, every run of white space as one space (see docs/pdf.md).

    ``-raw``, not ``-layout``: layout mode sorts glyphs by position and tears the raised marks of bold Thai
    off their letters. HarfBuzz draws ำ as ํ + า (tone marks in between), so that is put back together.
    """
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True)
    text = re.sub("\u0e4d([\u0e48-\u0e4b]?)\u0e32", "\\1\u0e33", out.stdout)
    return re.sub(r"\s+", " ", text)


def _person(username, title, first, last, position, **extra):
    person = make_person(username, title=title, position=position, **extra)
    person.first_name, person.last_name = first, last
    person.save()
    return person


@pytest.fixture
def full(org, dims, agreement):
    """Bureau A's agreement: three parties (one signed), KPIs of all five methods in two dimensions, one
    with sub-KPIs, a supervisor and a collector with office and mobile."""
    people = {
        org.head_a: ("นาย", "สมชาย", "ใจดี", "ผู้อำนวยการสำนักเอ"),
        org.director: ("นาง", "สมศรี", "รักงาน", "อธิบดีกรมหนึ่ง"),
    }
    for person, (title, first, last, position) in people.items():
        person.title, person.first_name, person.last_name, person.position = title, first, last, position
        person.save()
    co = _person("co", "นาย", "ประเสริฐ", "มั่นคง", "ปลัดกระทรวงทดสอบ")
    for party in agreement.parties.all():
        party.position = party.person.position
        party.save()
    Party.objects.create(
        agreement=agreement, role=Party.Role.CO_SIGNER, person=co, position=co.position, order=2
    )
    recipient = agreement.parties.get(role=Party.Role.RECIPIENT)
    recipient.signed_at = datetime(2026, 12, 15, 10, 30, tzinfo=BANGKOK)
    recipient.signed_name = "นางสมศรี รักงาน"
    recipient.signed_position = "อธิบดีกรมหนึ่ง"
    recipient.save()

    supervisor = _person(
        "sup", "นาง", "วิไล", "ตรวจดี", "นักวิเคราะห์นโยบาย", office="ห้อง 301", mobile="0812345678"
    )
    collector = _person(
        "col", "นาย", "ก้องเกียรติ", "เก็บข้อมูล", "นักวิชาการ", office="ห้อง 302", mobile="0898765432"
    )
    parent = add_kpi(agreement, dims[0], "1", "ความสำเร็จของการเบิกจ่าย", baseline=BASELINE)
    add_kpi(
        agreement,
        dims[0],
        "20",
        "ร้อยละการเบิกจ่ายงบลงทุน",
        parent=parent,
        baseline=BASELINE,
        supervisor=supervisor,
        collector=collector,
        conditions="นับเฉพาะงบลงทุน",
    )
    add_kpi(
        agreement,
        dims[0],
        "12.5",
        "ดัชนีคุณภาพบริการ",
        parent=parent,
        method="multi_quantitative",
        criteria=MEASURES,
    )
    add_kpi(agreement, dims[0], "25", "ความสำเร็จของระบบงาน", method="milestone", criteria={"levels": STEPS})
    add_kpi(agreement, dims[1], "17.5", "ศูนย์บริการร่วม", method="pass_fail", criteria={"condition": CONDITION})
    add_kpi(
        agreement, dims[1], "25", "คุณภาพรายงานประจำปี", method="qualitative", criteria={"levels": DESCRIPTIONS}
    )
    agreement.refresh_from_db()
    return agreement


def test_the_signed_layout_carries_every_part_of_the_agreement(full, tmp_path):
    text = pdf_text(render_agreement_pdf(full, draft=False, thai_digits=False), tmp_path)

    assert "คำรับรองการปฏิบัติราชการ" in text
    assert "สำนักเอ" in text and "ประจำปีงบประมาณ พ.ศ. 2570" in text
    # Part 1: the parties with their positions, the co-signer, the period in B.E.
    assert "นางสมศรี รักงาน ตำแหน่ง อธิบดีกรมหนึ่ง ผู้รับคำรับรอง" in text
    assert "ร่วมกับ นายประเสริฐ มั่นคง ตำแหน่ง ปลัดกระทรวงทดสอบ" in text
    assert "กับ นายสมชาย ใจดี ตำแหน่ง ผู้อำนวยการสำนักเอ ผู้ทำคำรับรอง" in text
    assert "1 ตุลาคม 2569" in text and "30 กันยายน 2570" in text
    # Signature blocks at the end of part 1 and again on the signing page at the end (issue 13.11): the
    # signed party with its B.E. date, the others with blank lines.
    assert "ลงนามเมื่อ 15 ธันวาคม 2569" in text
    assert text.count("ลงนามเมื่อ") == 2 and text.count("วันที่ ........../") == 4
    # Part 3: the table by dimension, weights as printed (whole numbers bare, halves with one place).
    assert "มิติที่ 1 ประสิทธิผล (น้ำหนักร้อยละ 57.5)" in text
    assert "มิติที่ 2 คุณภาพการให้บริการ (น้ำหนักร้อยละ 42.5)" in text
    assert "รวม 100" in text
    # Part 3 rows and part 4 templates: every KPI, numbered in reading order, with its weight as printed
    # (whole numbers bare, fractions without trailing zeros). Table cells wrap, so rows are compared
    # without spaces.
    squeezed = text.replace(" ", "")
    kpis = [
        ("1", "ความสำเร็จของการเบิกจ่าย", "32.5", "85.58890.25"),
        ("1.1", "ร้อยละการเบิกจ่ายงบลงทุน", "20", "85.58890.25"),
        ("1.2", "ดัชนีคุณภาพบริการ", "12.5", "–––"),
        ("2", "ความสำเร็จของระบบงาน", "25", "–––"),
        ("3", "ศูนย์บริการร่วม", "17.5", "–––"),
        ("4", "คุณภาพรายงานประจำปี", "25", "–––"),
    ]
    for number, name, weight, baseline in kpis:
        assert f"{number}{name}ร้อยละ{weight}{baseline}" in squeezed
        template = text.split(f"ตัวชี้วัดที่ {number} {name} ")[1].split("ตัวชี้วัดที่ ")[0]
        assert template.startswith(f"ชื่อตัวชี้วัด {name} มิติ มิติที่ ")
        assert f" น้ำหนัก ร้อยละ {weight} " in template
    # The criteria of each method.
    assert "60 70 80 90 100" in text  # quantitative t1..t5
    assert "ความพึงพอใจ 60 1 2 3 4 5" in text and "ความรวดเร็ว 40 10 20 30 40 50" in text
    for level, steps in enumerate(STEPS, start=1):
        assert f"ระดับ {level} " + " ".join(f"{i}) {s}" for i, s in enumerate(steps, start=1)) in text
    assert f"ระดับ 5 {CONDITION}" in text and "ระดับ 1 ไม่สำเร็จ" in text
    for level, description in enumerate(DESCRIPTIONS, start=1):
        assert f"ระดับ {level} {description}" in text
    assert "คะแนนเฉลี่ยถ่วงน้ำหนักของตัวชี้วัดย่อย (1.1, 1.2)" in text
    # The rest of the template: baseline, conditions, the people to call.
    assert "ปีงบประมาณ พ.ศ. 2567 2568 2569" in text and "85.5 88 90.25" in text
    assert "นับเฉพาะงบลงทุน" in text
    assert "นางวิไล ตรวจดี ตำแหน่ง นักวิเคราะห์นโยบาย สถานที่ติดต่อ ห้อง 301 โทรศัพท์เคลื่อนที่ 0812345678" in text
    assert "นายก้องเกียรติ เก็บข้อมูล" in text and "ห้อง 302" in text and "0898765432" in text
    assert "หน้า 1 / " in text
    assert "ร่าง" not in text


def test_a_draft_preview_is_marked_as_a_draft(agreement, tmp_path):
    text = pdf_text(render_agreement_pdf(agreement, draft=True, thai_digits=False), tmp_path)
    assert "ร่าง" in text and "ยังไม่ใช่ฉบับลงนาม" in text
    assert "หน้า 1 / 5" in text  # parts 1–3, no KPI Template, the signing page


def test_thai_digits_replace_every_ascii_digit_of_the_document(agreement, dims, org, tmp_path):
    # One KPI carries every kind of number: weight, thresholds, baseline years and values, a phone number;
    # a signature adds a date, the footer the page counters.
    supervisor = _person("sup", "นาง", "วิไล", "ตรวจดี", "นักวิเคราะห์", office="ห้อง 301", mobile="0812345678")
    add_kpi(agreement, dims[0], "12.5", "ร้อยละการเบิกจ่าย", baseline=BASELINE, supervisor=supervisor)
    agreement.parties.filter(role=Party.Role.RECIPIENT).update(
        signed_at=datetime(2026, 12, 15, 10, 30, tzinfo=BANGKOK), signed_name="นางสมศรี รักงาน"
    )
    text = pdf_text(render_agreement_pdf(agreement, draft=False, thai_digits=True), tmp_path)
    assert "๒๕๗๐" in text and "๑ ตุลาคม ๒๕๖๙" in text and "ลงนามเมื่อ ๑๕ ธันวาคม ๒๕๖๙" in text
    assert "ร้อยละ ๑๒.๕" in text and "๖๐ ๗๐ ๘๐ ๙๐ ๑๐๐" in text and "๘๕.๕ ๘๘ ๙๐.๒๕" in text
    assert "หน้า ๑ / ๕" in text and "๐๘๑๒๓๔๕๖๗๘" in text
    assert "2570" not in text
    assert not re.search(r"[0-9]", text)


def test_thai_digits_leave_markup_styles_and_character_references_alone():
    html = (
        '<p style="width: 10mm" data-x="2">ปี 2570 &#39;5&#x27;</p><style>a { margin: 1mm }</style><!-- 3 -->'
    )
    assert thai_digits_html(html) == (
        '<p style="width: 10mm" data-x="2">ปี ๒๕๗๐ &#39;๕&#x27;</p><style>a { margin: 1mm }</style><!-- 3 -->'
    )


def test_the_renderer_fetches_the_sarabun_files_and_nothing_else():
    fonts = list(render.font_files().values())
    fetcher = render.FontsOnlyFetcher(fonts)
    assert fetcher.fetch(fonts[0].as_uri()).read(4) == b"\x00\x01\x00\x00"  # a TrueType file
    for url in ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "data:text/plain,x"]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)


# --- the rendering task ------------------------------------------------------------------------------


@pytest.fixture
def fake_render(monkeypatch):
    calls = []

    def fake(agreement, *, draft, thai_digits):
        calls.append((agreement.pk, draft, thai_digits))
        return FAKE_PDF

    monkeypatch.setattr(render, "render_agreement_pdf", fake)
    return calls


def test_the_task_stores_the_pdf_with_its_checksum(agreement, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(agreement=agreement, kind="signed", user=org.head_a)
    document.refresh_from_db()
    assert document.status == AgreementDocument.Status.READY
    assert document.kind == "signed" and document.version == agreement.version
    assert document.file.name.startswith(f"agreements/{agreement.pk}/")
    with document.file.open("rb") as f:
        stored = f.read()
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == document.sha256
    assert document.finished_at is not None and document.error == ""
    assert document.requested_by == org.head_a


def test_a_failing_render_leaves_the_document_failed_with_the_reason(
    agreement, org, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("ไม่พบแบบอักษร Sarabun")

    monkeypatch.setattr(render, "render_agreement_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(agreement=agreement, kind="draft", user=org.head_a)
    document.refresh_from_db()
    assert document.status == AgreementDocument.Status.FAILED
    assert document.error == "RuntimeError: ไม่พบแบบอักษร Sarabun"
    assert not document.file and document.sha256 == "" and document.finished_at is not None


def test_the_task_run_twice_renders_once(agreement, org, fake_render, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(agreement=agreement, kind="draft", user=org.head_a, thai_digits=True)
    render_agreement_document(document.pk)
    assert fake_render == [(agreement.pk, True, True)]
    document.refresh_from_db()
    assert document.status == AgreementDocument.Status.READY
    assert document.sha256 == hashlib.sha256(FAKE_PDF).hexdigest()


def test_the_task_exits_quietly_when_the_document_is_gone(db, fake_render):
    render_agreement_document(987654)
    assert fake_render == []


def test_the_rendering_waits_for_the_commit(agreement, org, fake_render, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = document_request(agreement=agreement, kind="signed", user=org.head_a)
    assert len(callbacks) == 1 and fake_render == []
    assert AgreementDocument.objects.get(pk=document.pk).status == AgreementDocument.Status.PENDING


def test_a_draft_asked_for_twice_before_it_starts_is_queued_once(
    agreement, org, fake_render, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = document_request(agreement=agreement, kind="draft", user=org.head_a)
        again = document_request(agreement=agreement, kind="draft", user=org.planner)
        other = document_request(agreement=agreement, kind="draft", user=org.head_a, thai_digits=True)
    assert again.pk == first.pk and other.pk != first.pk and len(callbacks) == 2


def test_an_unknown_kind_is_refused(agreement, org):
    with pytest.raises(ValueError):
        document_request(agreement=agreement, kind="final", user=org.head_a)


# --- pages and downloads -----------------------------------------------------------------------------


@pytest.fixture
def ready(agreement, org, fake_render, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return document_request(agreement=agreement, kind="signed", user=org.head_a)


@pytest.mark.parametrize("persona", ["head_a", "planner"])
def test_readers_of_the_agreement_download_a_ready_pdf(ready, org, client_for, persona):
    response = client_for(getattr(org, persona)).get(reverse("agreement_document_download", args=[ready.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == FAKE_PDF


@pytest.mark.parametrize("persona", ["outsider", "head_b"])
def test_others_cannot_download_the_pdf(ready, org, client_for, persona):
    response = client_for(getattr(org, persona)).get(reverse("agreement_document_download", args=[ready.pk]))
    assert response.status_code == 404


def test_a_pdf_not_ready_yet_is_not_found(agreement, org, client_for):
    document = AgreementDocument.objects.create(agreement=agreement, version=1, kind="draft")
    response = client_for(org.head_a).get(reverse("agreement_document_download", args=[document.pk]))
    assert response.status_code == 404


def test_downloads_need_a_login(ready, client):
    response = client.get(reverse("agreement_document_download", args=[ready.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_documents_page_lists_status_version_checksum_and_failures(ready, agreement, org, client_for):
    AgreementDocument.objects.create(
        agreement=agreement, version=1, kind="draft", status="failed", error="RuntimeError: boom"
    )
    AgreementDocument.objects.create(agreement=agreement, version=1, kind="draft")
    page = client_for(org.head_a).get(reverse("agreement_documents", args=[agreement.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert ready.sha256 in html and reverse("agreement_document_download", args=[ready.pk]) in html
    assert "RuntimeError: boom" in html
    assert 'hx-trigger="every 2s"' in html  # one is still waiting: the list refreshes itself


def test_a_reader_asks_for_a_draft_preview(
    agreement, org, client_for, fake_render, django_capture_on_commit_callbacks
):
    client = client_for(org.planner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("agreement_documents", args=[agreement.pk]), {"thai_digits": "on"})
    assert response.status_code == 302
    document = AgreementDocument.objects.get(agreement=agreement)
    assert (document.kind, document.thai_digits, document.status) == ("draft", True, "ready")
    assert document.requested_by == org.planner and fake_render == [(agreement.pk, True, True)]


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_documents_page_is_refused_to_those_who_cannot_read_the_agreement(
    agreement, org, client_for, method
):
    client = client_for(org.outsider)
    response = getattr(client, method)(reverse("agreement_documents", args=[agreement.pk]))
    assert response.status_code == 404
    assert not AgreementDocument.objects.exists()


# --- requesting a failed or stuck PDF again (issue 9) ----------------------------------------------------


def _document(agreement, *, kind="draft", status="failed", minutes_ago=0):
    error = "RuntimeError: boom" if status == "failed" else ""
    document = AgreementDocument.objects.create(
        agreement=agreement, version=1, kind=kind, status=status, error=error
    )
    AgreementDocument.objects.filter(pk=document.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return AgreementDocument.objects.get(pk=document.pk)


def _again(client, document, capture):
    with capture(execute=True):
        return client.post(reverse("agreement_document_again", args=[document.pk]))


@pytest.mark.parametrize(
    "status, minutes_ago",
    [("failed", 0), ("pending", 11), ("processing", 11)],
    ids=["failed", "never-picked-up", "stuck-rendering"],
)
def test_a_failed_or_stuck_pdf_is_requested_again_from_its_page(
    agreement, org, client_for, fake_render, django_capture_on_commit_callbacks, settings, status, minutes_ago
):
    settings.TASK_STUCK_MINUTES = 10
    document = _document(agreement, status=status, minutes_ago=minutes_ago)
    client = client_for(org.executive)  # reads, edits nothing: a draft preview is his to ask for
    page = client.get(reverse("agreement_documents", args=[agreement.pk])).content.decode()
    assert reverse("agreement_document_again", args=[document.pk]) in page
    response = _again(client, document, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.status, document.error, document.requested_by) == ("ready", "", org.executive)
    assert fake_render == [(agreement.pk, True, False)]
    assert AgreementDocument.objects.count() == 1  # the same request again, not a second row


@pytest.mark.parametrize(
    "status, minutes_ago",
    [("ready", 60), ("pending", 9), ("processing", 9)],
    ids=["ready", "waiting", "rendering"],
)
def test_a_ready_or_recent_pdf_cannot_be_requested_again(
    agreement, org, client_for, fake_render, django_capture_on_commit_callbacks, settings, status, minutes_ago
):
    settings.TASK_STUCK_MINUTES = 10
    document = _document(agreement, status=status, minutes_ago=minutes_ago)
    client = client_for(org.head_a)
    page = client.get(reverse("agreement_documents", args=[agreement.pk])).content.decode()
    assert reverse("agreement_document_again", args=[document.pk]) not in page
    response = _again(client, document, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    with translation.override("th"):
        reason = translation.gettext(
            "Only a failed PDF, or one not ready after %(minutes)s minutes, may be requested again."
        ) % {"minutes": 10}
    assert reason in page
    assert AgreementDocument.objects.get(pk=document.pk).status == status and fake_render == []


def test_only_the_editors_request_a_signed_pdf_again(
    agreement, org, client_for, fake_render, django_capture_on_commit_callbacks
):
    document = _document(agreement, kind="signed")
    executive = client_for(org.executive)
    page = executive.get(reverse("agreement_documents", args=[agreement.pk])).content.decode()
    assert reverse("agreement_document_again", args=[document.pk]) not in page
    assert _again(executive, document, django_capture_on_commit_callbacks).status_code == 404
    assert AgreementDocument.objects.get(pk=document.pk).status == "failed"
    assert _again(client_for(org.head_a), document, django_capture_on_commit_callbacks).status_code == 302
    assert AgreementDocument.objects.get(pk=document.pk).status == "ready"


def test_outsiders_cannot_request_a_pdf_again(agreement, org, client_for, django_capture_on_commit_callbacks):
    document = _document(agreement)
    response = _again(client_for(org.head_b), document, django_capture_on_commit_callbacks)
    assert response.status_code == 404
    assert AgreementDocument.objects.get(pk=document.pk).status == "failed"


def test_a_stale_task_leaves_a_failed_pdf_alone(agreement, fake_render):
    document = _document(agreement)
    render_agreement_document(document.pk)
    assert fake_render == [] and AgreementDocument.objects.get(pk=document.pk).status == "failed"


def test_the_page_stops_polling_when_only_stuck_pdfs_remain(agreement, org, client_for, settings):
    settings.TASK_STUCK_MINUTES = 10
    _document(agreement, status="processing", minutes_ago=30)
    html = client_for(org.head_a).get(reverse("agreement_documents", args=[agreement.pk])).content.decode()
    assert "hx-trigger" not in html and 'data-testid="again"' in html
