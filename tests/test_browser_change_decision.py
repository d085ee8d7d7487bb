"""A committee member decides a change request in real headless Chromium (issue 13.4, DOMAIN §9): the
before/after, with the five-level thresholds, the definitions and the weights per dimension, is on the page
before the decision is recorded, and the same comparison stays after it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kpi_agreements.agreements.models import KPI, Agreement, ChangeRequest
from kpi_agreements.agreements.services import drafting
from kpi_agreements.fiscal.models import Milestone
from kpi_agreements.organisation.models import Unit
from tests.factories import sign
from tests.test_browser_workflow import as_user
from tests.test_framework_fy2552 import enter_fy2552


@pytest.mark.browser
def test_a_committee_member_sees_the_before_and_after_then_decides(org, page):
    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    enter_fy2552(org.year)
    agreement = sign(
        drafting.agreements_create(fiscal_year=org.year, units=[Unit.objects.get(pk=org.bureau_a.pk)])[0]
    )
    today = timezone.localdate()
    Milestone.objects.filter(fiscal_year=org.year, kind="change_window_1").update(
        start_date=today - timedelta(days=1), due_date=today + timedelta(days=3)
    )
    kpi_4 = KPI.objects.get(agreement=agreement, mandatory__code="4")
    kpi_5 = KPI.objects.get(agreement=agreement, mandatory__code="5")

    # The unit asks: KPI 4 gets new thresholds and a new definition, KPI 5 is cancelled.
    as_user(page, "head_a")
    page.goto(f"/agreements/{agreement.pk}/")
    page.click("[data-testid=open-change]")
    page.check("input[name=grounds][value=policy]")
    page.fill("textarea[name=justification]", "นโยบายรัฐบาลเปลี่ยน")
    page.select_option("select[name=effective_round]", "12")
    page.click("main form button.btn-primary")
    page.wait_for_selector("[data-testid=change-status]")
    page.select_option("select[name=kind]", "edit")
    page.select_option("select[name=kpi]", str(kpi_4.pk))
    page.fill("textarea[name=description]", "นิยามใหม่: ผู้รับบริการทุกช่องทาง")
    page.check("input[name=change_criteria]")
    page.select_option("select[name=criteria-method]", "quantitative")
    for level, value in enumerate(["70", "75", "80", "85", "90"], 1):
        page.fill(f"input[name=criteria-q_t{level}]", value)
    page.click("form[action$='/items/'] button.btn-outline-primary")
    page.wait_for_selector("[data-testid=change-compare]")
    page.select_option("select[name=kind]", "cancel")
    page.select_option("select[name=kpi]", str(kpi_5.pk))
    page.click("form[action$='/items/'] button.btn-outline-primary")
    page.wait_for_selector("[data-testid=compare] >> text=ยกเลิก")
    page.click("form[action$='/submit/'] button")
    page.wait_for_selector("[data-testid=change-status]")
    change = ChangeRequest.objects.get(agreement=agreement)
    assert change.status == "submitted"

    # The committee member opens it from the queue: the comparison is there before the decision form.
    as_user(page, "member")
    page.goto("/committee/queue/")
    page.click(f"[data-testid=queue-changes] a[href='/changes/{change.pk}/']")
    page.wait_for_selector("[data-testid=change-compare]")
    assert page.locator(f"form[action='/changes/{change.pk}/decide/']").is_visible()
    compare_box = page.locator("[data-testid=change-compare]").bounding_box()
    decide_box = page.locator(f"form[action='/changes/{change.pk}/decide/']").bounding_box()
    assert compare_box["y"] < decide_box["y"]
    dimensions = page.locator("[data-testid=dimension-weight]").all_inner_texts()
    assert [line.split("\t")[-1].split(" ")[0] for line in dimensions] == ["45", "15", "20", "20"]
    row_4 = page.locator("[data-testid=compare-row]", has_text="ร้อยละของระดับความพึงพอใจของผู้รับบริการ")
    before, after = row_4.locator(":scope > td").nth(0), row_4.locator(":scope > td").nth(1)
    assert before.locator("[data-testid=compare-levels] td").all_inner_texts() == [
        "60",
        "70",
        "80",
        "90",
        "100",
    ]
    assert after.locator("[data-testid=compare-levels] td").all_inner_texts() == [
        "70",
        "75",
        "80",
        "85",
        "90",
    ]
    assert "นิยามใหม่: ผู้รับบริการทุกช่องทาง" in after.inner_text()
    assert before.locator("[data-testid=compare-weight]").inner_text() == "5"
    assert after.locator("[data-testid=compare-weight]").inner_text() == "6.8182"
    row_5 = page.locator("[data-testid=compare-row]", has_text="เปิดโอกาสให้ประชาชน")
    assert "ยกเลิก" in row_5.locator(":scope > td").nth(1).inner_text()
    assert page.locator("[data-testid=change-problems]").count() == 0
    shown_before = page.locator("[data-testid=compare]").inner_text()

    page.check("input[name=decision][value=approve]")
    page.fill("input[name=number]", "5/2570")
    page.fill("input[name=date]", today.isoformat())
    page.fill("textarea[name=text]", "อนุมัติการเปลี่ยนแปลงตัวชี้วัด")
    page.click(f"form[action='/changes/{change.pk}/decide/'] button.btn-success")
    page.wait_for_selector("[data-testid=decision]")
    assert Agreement.objects.get(pk=agreement.pk).version == 2
    # After the decision: the same comparison, now from the two stored versions.
    assert page.locator("[data-testid=compare]").inner_text() == shown_before
    page.screenshot(path="/tmp/change-decision.png", full_page=True)
