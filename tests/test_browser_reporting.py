"""A reporting round in real headless Chromium (issue 10's journey): planning staff open the 6-month round,
the collector enters results and evidence with the live score, the head submits, a verifier returns one KPI
for more information, the head resubmits, the verifier verifies and the e-SAR card PDF is downloaded; then a
12-month report submitted late shows its penalty."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kpi_agreements import scoring
from kpi_agreements.fiscal.models import FiscalYear, Milestone
from kpi_agreements.reporting.models import ReportItem, RoundReport
from kpi_agreements.reporting.services import flow
from tests.factories import add_kpi, open_report, sign
from tests.test_browser_workflow import as_user
from tests.test_documents import pdf_text

# Thresholds 60..100 (factories.QUANT), weights 45/15/20/20: the unit's results and their scores.
ACTUALS = {"1": ("85", "3.5000"), "2": ("92", "4.2000"), "3": ("70", "2.0000"), "4": ("100", "5.0000")}
# 3.5×0.45 + 4.2×0.15 + 2×0.20 + 5×0.20 = 1.5750 + 0.6300 + 0.4000 + 1.0000
SELF_TOTAL = "3.6050"
# The verifier finds 80 for KPI 2 (level 3): 0.6300 becomes 0.4500.
VERIFIED_TOTAL = "3.4250"


def status_is(page, status):
    expect(page.locator(f"[data-testid=flow-status][data-status={status}]")).to_be_visible()


def enter(page, item, actual, narrative="ดำเนินการตามแผนงานครบถ้วน"):
    page.goto(f"/reports/items/{item.pk}/")
    page.fill("#entry-form input[name=actual]", actual)
    page.fill("#entry-form textarea[name=narrative]", narrative)
    page.click("#entry-form button.btn-primary")
    expect(page.locator("[data-testid=report-table]")).to_be_visible()


@pytest.mark.browser
def test_open_enter_submit_return_resubmit_verify_download_then_late_penalty(
    org, dims, agreement, page, tmp_path
):
    for d in dims:
        add_kpi(
            agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.supervisor, collector=org.collector
        )
    agreement = sign(agreement)

    # Planning staff of the whole organisation open the 6-month round before its opening date.
    as_user(page, "admin")
    page.goto(f"/years/{org.year.pk}/rounds/")
    six = page.locator("[data-testid=round-6]")
    expect(six.locator("[data-testid=round-open] .text-bg-secondary")).to_be_visible()
    six.locator("[data-testid=open-round]").click()
    expect(six.locator("[data-testid=round-open] .text-bg-success")).to_be_visible()
    report = RoundReport.objects.get(round__fiscal_year=org.year, round__months=6, agreement=agreement)
    items = {i.code: i for i in report.items.filter(is_leaf=True)}
    assert sorted(items) == ["1", "2", "3", "4"] and report.status == "draft"

    # The collector types the first result: its score appears before anything is saved (htmx).
    as_user(page, "collector")
    page.goto(f"/reports/items/{items['1'].pk}/")
    page.fill("#entry-form input[name=actual]", ACTUALS["1"][0])
    expect(page.locator("[data-testid=live-score]")).to_have_text(ACTUALS["1"][1])
    assert ReportItem.objects.get(pk=items["1"].pk).result is None
    page.fill("#entry-form textarea[name=narrative]", "ดำเนินการตามแผนงานครบถ้วน")
    page.click("#entry-form button.btn-primary")
    expect(page.locator("[data-testid=self-1]")).to_have_text(ACTUALS["1"][1])
    # Evidence for KPI 1, then the other three results.
    evidence = tmp_path / "หลักฐาน.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.goto(f"/reports/items/{items['1'].pk}/")
    page.set_input_files("input[type=file]", str(evidence))
    page.click("form[action$='/evidence/'] button")
    expect(page.locator("[data-testid=evidence]")).to_contain_text("หลักฐาน.pdf")
    for code in ("2", "3", "4"):
        enter(page, items[code], ACTUALS[code][0])
        expect(page.locator(f"[data-testid=self-{code}]")).to_have_text(ACTUALS[code][1])
    expect(page.locator("[data-testid=self-total]")).to_have_text(SELF_TOTAL)

    # The head submits the whole report.
    as_user(page, "head_a")
    page.goto(f"/reports/{report.pk}/")
    page.click("[data-testid=submit-report]")
    status_is(page, "submitted")

    # The committee member finds it in his queue and returns KPI 3 for more information.
    as_user(page, "member")
    page.goto("/reports/verify/")
    page.click(f"[data-testid=queue-row] a[href='/reports/{report.pk}/']")
    page.click("[data-testid=send-back]")
    page.fill("textarea[name=reason]", "โปรดแนบหลักฐานผลการดำเนินงานของตัวชี้วัดที่ 3")
    expect(page.locator("input[name=due]")).not_to_have_value("")  # the policy's 30 days, offered
    page.check(f"input[name=items][value='{items['3'].pk}']")
    page.click("[data-testid=send-back-form] button[type=submit]")
    status_is(page, "returned")
    expect(page.locator("[data-testid=return-reason]")).to_contain_text("ตัวชี้วัดที่ 3")
    assert list(ReportItem.objects.filter(report=report, needs_more=True)) == [items["3"]]

    # The collector adds the information on KPI 3; the head resubmits.
    as_user(page, "collector")
    page.goto(f"/reports/items/{items['3'].pk}/")
    expect(page.locator("[data-testid=needs-more]")).to_be_visible()
    enter(page, items["3"], "70", narrative="ดำเนินการตามแผนงาน ตามหนังสือรายงานผลเลขที่ 12/2570")
    as_user(page, "head_a")
    page.goto(f"/reports/{report.pk}/")
    page.click("[data-testid=submit-report]")
    status_is(page, "resubmitted")

    # The member enters his own result for KPI 2 and verifies the report.
    as_user(page, "member")
    page.goto(f"/reports/items/{items['2'].pk}/verify/")
    page.fill("[data-testid=verify-item-form] input[name=actual]", "80")
    page.fill("[data-testid=verify-item-form] textarea[name=note]", "ตรวจสอบจากเอกสารแล้วได้ร้อยละ 80")
    page.click("[data-testid=verify-item-form] button[type=submit]")
    expect(page.locator("[data-testid=verified-2]")).to_contain_text("3.0000")
    page.click("[data-testid=verify-report]")
    status_is(page, "verified")
    expect(page.locator("[data-testid=verify-report], [data-testid=send-back]")).to_have_count(0)
    expect(page.locator("[data-testid=self-total]")).to_have_text(SELF_TOTAL)
    expect(page.locator("[data-testid=verified-total]")).to_have_text(VERIFIED_TOTAL)
    stored = RoundReport.objects.get(pk=report.pk)
    assert (stored.self_card["total"], stored.verified_card["total"]) == (SELF_TOTAL, VERIFIED_TOTAL)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.screenshot(path="/tmp/reporting-verified.png", full_page=True)

    # The verified e-SAR card: requested, made on commit (tasks run in process), downloaded.
    page.goto(f"/reports/{report.pk}/documents/")
    page.click("[data-testid=request] button[value=card_pdf_verified]")
    link = page.locator("[data-testid=jobs] tr[data-status=ready] a[href$='/download/']")
    expect(link).to_have_count(1)
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "card.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    text = pdf_text(path.read_bytes(), tmp_path)
    assert VERIFIED_TOTAL in text and "0.4500" in text and "ตัวชี้วัดมิติ 2" in text

    # A 12-month report whose deadline (and so its effective deadline) passed: submitted today, it is late.
    late = open_report(agreement, 12)
    for item in late.items.filter(is_leaf=True):
        flow.item_enter(item=item, user=org.collector, result={"actual": "85"}, narrative="ดำเนินการแล้ว")
    today = timezone.localdate()
    due = today - timedelta(days=17)
    Milestone.objects.filter(fiscal_year=org.year, kind="report_12").update(due_date=due)
    year = FiscalYear.objects.get(pk=org.year.pk)
    days = scoring.working_days_late(due, today, year.holiday_dates)
    penalty = scoring.late_penalty(12, days, year.policy)
    assert days > 0 and penalty > 0
    as_user(page, "head_a")
    page.goto(f"/reports/{late.pk}/")
    page.click("[data-testid=submit-report]")
    status_is(page, "submitted")
    expect(page.locator("[data-testid=days-late]")).to_contain_text(f"{days} ·")
    expect(page.locator("[data-testid=days-late]")).to_contain_text(f"{penalty:.4f}")
    expect(page.locator("[data-testid=self-penalty]")).to_have_text(f"{penalty:.4f}")
    # 3.5000 on every KPI, less the penalty.
    expect(page.locator("[data-testid=self-total]")).to_have_text(f"{Decimal('3.5000') - penalty:.4f}")
