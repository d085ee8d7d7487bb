"""Negotiation, signing, the PDF and a change request, in real headless Chromium (issue 5's journey)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kpi_agreements.agreements.models import Agreement, ChangeRequest
from kpi_agreements.fiscal.models import Milestone
from kpi_agreements.organisation.models import RoleAssignment
from tests.conftest import PASSWORD
from tests.factories import add_kpi
from tests.test_browser_foundation import log_in
from tests.test_documents import pdf_text


def as_user(page, username):
    page.goto("/accounts/login/")
    if page.locator("form[action$='/logout/'] button").count():
        page.click("form[action$='/logout/'] button")
    log_in(page, username, PASSWORD)
    page.wait_for_selector("[data-testid=current-user]")


def downloaded_pdf_text(page, agreement_pk, tmp_path, name):
    """Download the newest ready PDF of the agreement and return its text."""
    page.goto(f"/agreements/{agreement_pk}/documents/")
    link = page.locator("[data-testid=documents] a[href$='/download/']").first
    with page.expect_download() as info:
        link.click()
    path = tmp_path / name
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    return pdf_text(path.read_bytes(), tmp_path)


@pytest.mark.browser
def test_submit_negotiate_approve_sign_download_then_change(org, agreement, dims, page, tmp_path):
    RoleAssignment.objects.create(person=org.planner, unit=org.ministry, role="planning")
    for d in dims:
        # Dimension 4 as two KPIs of 10: cancelling one keeps the dimension's 20 (issue 13.1, DOMAIN §4).
        weight = 10 if d.order == 4 else d.weight
        add_kpi(agreement, d, weight, f"ตัวชี้วัดมิติที่ {d.order}", supervisor=org.head_a, collector=org.head_a)
    add_kpi(agreement, dims[3], 10, "ตัวชี้วัดการพัฒนาองค์กร", supervisor=org.head_a, collector=org.head_a)
    url = f"/agreements/{agreement.pk}/"

    as_user(page, "planner")
    page.goto(url)
    page.fill("#submit-comment", "ขอเสนอคำรับรองเพื่อพิจารณา")
    page.click("form[action$='/submit/'] button")
    page.wait_for_selector("[data-status=submitted]")

    as_user(page, "member")
    page.goto("/committee/queue/")
    page.click(f"[data-testid=queue-agreements] a[href='{url}']")
    kpi = agreement.kpis.order_by("pk").first()
    page.goto(f"/kpis/{kpi.pk}/")
    page.fill("#comment-text", "ค่าเป้าหมายระดับ 3 ควรสูงขึ้น")
    page.click("form[action$='/comments/'] button")
    page.wait_for_selector("[data-testid=comments]:has-text('ควรสูงขึ้น')")
    page.goto(url)
    page.fill("#revision-comment", "โปรดปรับค่าเป้าหมายของตัวชี้วัดที่ 1")
    page.click("form[action$='/revision/'] button")
    page.wait_for_selector("[data-testid=timeline]:has-text('โปรดปรับค่าเป้าหมาย')")

    as_user(page, "head_a")
    page.goto(f"/kpis/{kpi.pk}/edit/")
    page.fill("input[name=criteria-q_t3]", "82")
    page.click("#kpi-form button[type=submit]")
    page.goto(url)
    page.click("form[action$='/submit/'] button")
    page.wait_for_selector("[data-status=submitted]")

    as_user(page, "member")
    page.goto(url + "approve/")
    page.fill("input[name=number]", "3/2570")
    page.fill("input[name=date]", "2026-12-15")
    page.fill("textarea[name=text]", "เห็นชอบคำรับรองการปฏิบัติราชการ")
    page.click("main form button.btn-primary")
    page.wait_for_selector("[data-testid=signatures]")

    for username in ("head_a", "director"):
        as_user(page, username)
        page.goto(url)
        page.click("[data-testid=signatures] form button")
        page.wait_for_selector("[data-testid=signatures]")
    page.wait_for_selector("[data-status=signed]")
    assert Agreement.objects.get(pk=agreement.pk).status == "signed"
    signed_text = downloaded_pdf_text(page, agreement.pk, tmp_path, "v1.pdf")
    assert "สำนักเอ" in signed_text and "ตัวชี้วัดมิติที่ 4" in signed_text and "ลงนามเมื่อ" in signed_text

    # A change request inside the window (moved to today), approved by the committee.
    today = timezone.localdate()
    Milestone.objects.filter(fiscal_year=org.year, kind="change_window_1").update(
        start_date=today - timedelta(days=1), due_date=today + timedelta(days=3)
    )
    as_user(page, "head_a")
    page.goto(url)
    page.click("[data-testid=open-change]")
    page.check("input[name=grounds][value=external]")
    page.fill("textarea[name=justification]", "สถานการณ์อุทกภัยทำให้ดำเนินการไม่ได้")
    page.select_option("select[name=effective_round]", "12")
    page.click("main form button.btn-primary")
    page.wait_for_selector("[data-testid=change-status]")
    fourth = agreement.kpis.get(name="ตัวชี้วัดมิติที่ 4")
    page.select_option("select[name=kind]", "cancel")
    page.select_option("select[name=kpi]", str(fourth.pk))
    page.click("form[action$='/items/'] button.btn-outline-primary")
    page.wait_for_selector("[data-testid=weights-after]")
    page.click("form[action$='/submit/'] button")
    change = ChangeRequest.objects.get(agreement=agreement)
    assert change.status == "submitted"

    as_user(page, "member")
    page.goto(f"/changes/{change.pk}/")
    page.check("input[name=decision][value=approve]")
    page.fill("input[name=number]", "4/2570")
    page.fill("input[name=date]", today.isoformat())
    page.fill("textarea[name=text]", "อนุมัติให้ยกเลิกตัวชี้วัด")
    page.click("form[action$='/decide/'] button.btn-success")
    page.wait_for_selector("[data-testid=decision]")
    assert Agreement.objects.get(pk=agreement.pk).version == 2
    new_text = downloaded_pdf_text(page, agreement.pk, tmp_path, "v2.pdf")
    # The cancelled KPI's name may appear in version 2's list of changes (issue 13.11), so check what stays.
    assert "ตัวชี้วัดมิติที่ 1" in new_text and "ตัวชี้วัดการพัฒนาองค์กร" in new_text
    page.goto(f"/agreements/{agreement.pk}/versions/2/")
    page.wait_for_selector("[data-testid=compare]")
    page.screenshot(path="/tmp/versions.png", full_page=True)
