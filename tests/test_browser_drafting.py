"""A planning officer drafts the year's agreements in the browser (issue 4's journey)."""

import pytest

from kpi_agreements.agreements.models import KPI, Agreement
from kpi_agreements.organisation.models import RoleAssignment, Unit
from tests.conftest import PASSWORD
from tests.test_browser_foundation import log_in
from tests.test_people_pickers import pick_person

DIMENSIONS = [("ประสิทธิผล", "45"), ("คุณภาพการให้บริการ", "15"), ("ประสิทธิภาพ", "20"), ("การพัฒนาองค์กร", "20")]

CRITERIA = {
    "quantitative": {
        "criteria-q_t1": "60",
        "criteria-q_t2": "70",
        "criteria-q_t3": "80",
        "criteria-q_t4": "90",
        "criteria-q_t5": "100",
    },
    "multi_quantitative": {
        "criteria-m0_name": "ก",
        "criteria-m0_weight": "50",
        "criteria-m1_name": "ข",
        "criteria-m1_weight": "50",
        **{f"criteria-m{i}_t{k}": str(k * 10) for i in (0, 1) for k in range(1, 6)},
    },
    "milestone": {f"criteria-ms_level{k}": f"ขั้นที่ {k}" for k in range(1, 6)},
    "pass_fail": {"criteria-pf_condition": "เปิดใช้ระบบภายในปีงบประมาณ"},
    "qualitative": {f"criteria-ql_level{k}": f"คุณภาพระดับ {k}" for k in range(1, 6)},
}
# One KPI per method; the weights fill the four dimensions exactly.
KPIS = [
    ("quantitative", 0, "25"),
    ("multi_quantitative", 0, "20"),
    ("milestone", 1, "15"),
    ("pass_fail", 2, "20"),
    ("qualitative", 3, "20"),
]


def fill_dimensions(page, rows):
    names = page.locator("#dimensions-form input[name$='-name_th']")
    weights = page.locator("#dimensions-form input[name$='-weight']")
    start = names.count() - len(rows)  # the empty rows offered at the end of the table
    for i, (name, weight) in enumerate(rows):
        names.nth(start + i).fill(name)
        weights.nth(start + i).fill(weight)
    page.click("#dimensions-form button.btn-primary")


@pytest.mark.browser
def test_planning_officer_sets_up_the_year_and_drafts_a_kpi_of_each_method(org, page, live_server):
    RoleAssignment.objects.create(person=org.planner, unit=org.ministry, role="planning")
    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    log_in(page, "planner", PASSWORD)
    page.wait_for_selector("[data-testid=current-user]")

    page.goto(f"/years/{org.year.pk}/framework/")
    # A new framework is offered its four rows (issue 13.12): the dimensions are entered in one save.
    fill_dimensions(page, DIMENSIONS)
    page.wait_for_selector("[data-testid=dimensions-total]:has-text('100')")

    page.goto(f"/years/{org.year.pk}/agreements/")
    page.check(f"#unit-{org.bureau_a.pk}")
    page.click("[data-testid=create-chosen]")
    # The drafts are made by a background job; its page says how many once it is done.
    page.wait_for_selector("[data-testid=summary]:has-text('1')")
    agreement = Agreement.objects.get(unit=org.bureau_a, fiscal_year=org.year)
    page.goto(f"/agreements/{agreement.pk}/")
    assert "ไม่ครบ 100" in page.inner_text("[data-testid=problems]") or "not 100" in page.inner_text(
        "[data-testid=problems]"
    )

    dimension_links = page.locator("#outline a[href*='?dimension=']")
    for method, dim_index, weight in KPIS:
        page.goto(f"/agreements/{agreement.pk}/")
        dimension_links.nth(dim_index).click()
        page.fill("input[name=name]", f"ตัวชี้วัดแบบ {method}")
        page.fill("input[name=unit_of_measure]", "ร้อยละ")
        page.fill("input[name=weight]", weight)
        page.fill("textarea[name=description]", "คำอธิบายตัวชี้วัด")
        page.fill("textarea[name=formula]", "ก / ข × 100")
        page.fill("textarea[name=data_source]", "ระบบสารสนเทศ")
        page.fill("textarea[name=collection_method]", "รายไตรมาส")
        page.fill("input[name=baseline_3]", "75")
        pick_person(page, "supervisor", "head_a", "Head_A Persona")
        pick_person(page, "collector", "planner", "Planner Persona")
        page.select_option("select[name=criteria-method]", method)
        for name, value in CRITERIA[method].items():
            selector = f"[name='{name}']"
            page.fill(selector, value)
        if method == "quantitative":
            page.fill("input[name=criteria-q_actual]", "85")
            page.keyboard.press("Tab")
            page.wait_for_selector("[data-testid=score]:has-text('3.5000')")
        page.click("#kpi-form button[type=submit]")
        page.wait_for_selector("h1:has-text('ตัวชี้วัดแบบ')")

    assert sorted(KPI.objects.filter(agreement=agreement).values_list("method", flat=True)) == sorted(
        CRITERIA
    )
    page.goto(f"/agreements/{agreement.pk}/")
    page.wait_for_selector("[data-testid=overall-total]:has-text('100')")
    assert "ครบถ้วน" in page.inner_text("[data-testid=problems]") or "Complete" in page.inner_text(
        "[data-testid=problems]"
    )
    # A weight changed in place: the totals turn wrong without a reload.
    page.evaluate("window.notReloaded = true")
    page.fill("[data-testid='weight-1']", "30")
    page.keyboard.press("Tab")
    page.wait_for_selector("[data-testid=overall-total]:has-text('+5')")
    assert "+5" in page.inner_text("[data-testid=problems]")
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path="/tmp/drafting-editor.png", full_page=True)
    page.click("nav >> text=ออกจากระบบ")

    log_in(page, "head_a", PASSWORD)
    page.wait_for_selector("[data-testid=current-user]")
    kpi = KPI.objects.get(agreement=agreement, method="pass_fail")
    page.goto(f"/kpis/{kpi.pk}/edit/")
    page.fill("input[name=name]", "ตัวชี้วัดที่หัวหน้าแก้ไข")
    page.click("#kpi-form button[type=submit]")
    page.wait_for_selector("h1:has-text('ตัวชี้วัดที่หัวหน้าแก้ไข')")
    page.click("nav >> text=ออกจากระบบ")

    log_in(page, "outsider", PASSWORD)
    page.wait_for_selector("[data-testid=current-user]")
    response = page.goto(f"/agreements/{agreement.pk}/")
    assert response.status == 404
