"""The executive's journey through the scorecards in real headless Chromium (issue 12, "How it is checked"):
the dashboard of the 6-month round, the department, one of its bureaus, a dimension, one KPI's evidence and
back by the breadcrumbs; the dashboard's PDF made in the background, downloaded and read; the dashboard
rendered to PNG. Every figure on the pages is the stored round card's (RoundReport.self_card /
verified_card), to 4 places. Also the navigation bar at 1280 px and below."""

import re
import shutil
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from kpi_agreements.agreements.services import drafting
from kpi_agreements.reporting.models import RoundReport
from kpi_agreements.reporting.services import evidence, flow
from tests.factories import add_kpi, open_report, sign
from tests.test_browser_workflow import as_user
from tests.test_documents import pdf_text

EVIDENCE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EVIDENCE_NAME = "รายงานการประชุมไตรมาส 2.pdf"
SCREENSHOT = "/tmp/exec-dashboard.png"


def enter(report, user, actuals):
    for item, actual in zip(report.items.filter(is_leaf=True).order_by("order", "id"), actuals, strict=True):
        flow.item_enter(item=item, user=user, result={"actual": actual}, narrative="ดำเนินการตามแผนงาน")


@pytest.fixture
def reports(org, dims, report, settings, tmp_path):
    """Bureaus A and B of the department, one quantitative KPI per dimension (45/15/20/20), entered and
    submitted through the reporting services; A's KPI 1 has an evidence file, and A is verified by the
    committee member, who found 80 where A reported 85. B is submitted, not verified."""
    settings.MEDIA_ROOT = tmp_path / "media"
    agreement_b = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b])[0]
    for d in dims:
        add_kpi(
            agreement_b, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.supervisor, collector=org.collector
        )
    report_b = open_report(sign(agreement_b), 6)
    # A: 85 → 3.5, 72 → 2.2, 95 → 4.5, 60 → 1.0: 1.5750 + 0.3300 + 0.9000 + 0.2000 = 3.0050
    enter(report, org.collector, ["85", "72", "95", "60"])
    # B: 100 → 5, 90 → 4, 65 → 1.5, 78.5 → 2.85: 2.2500 + 0.6000 + 0.3000 + 0.5700 = 3.7200
    enter(report_b, org.collector, ["100", "90", "65", "78.5"])
    first = report.items.filter(is_leaf=True).order_by("order", "id").first()
    evidence.evidence_add(item=first, upload=SimpleUploadedFile(EVIDENCE_NAME, EVIDENCE), user=org.collector)
    flow.report_submit(report=report, user=org.head_a)
    flow.report_submit(report=report_b, user=org.head_b)
    flow.item_verify(item=first, user=org.member, result={"actual": "80"}, note="ตรวจแล้ว")
    flow.report_verify(report=RoundReport.objects.get(pk=report.pk), user=org.member)
    return RoundReport.objects.get(pk=report.pk), RoundReport.objects.get(pk=report_b.pk)


def dim_score(card, dimension):
    return card["dimensions"][str(dimension.pk)]["score"]


@pytest.mark.browser
def test_executive_drills_from_the_dashboard_to_one_kpis_evidence_and_back_then_the_pdf(
    org, dims, reports, page, tmp_path
):
    a, b = reports
    # The stored cards the pages must show (the reporting services wrote them; nothing recomputes them).
    assert (a.self_card["total"], a.verified_card["total"], b.self_card["total"]) == (
        "3.0050",
        "2.7800",
        "3.7200",
    )
    six = a.round
    seen = []  # Content Security Policy reports and script errors along the way
    page.on("console", lambda m: "Content Security Policy" in m.text and seen.append(m.text))
    page.on("pageerror", lambda e: seen.append(f"page error: {e}"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # 1. The executive reaches the 6-month round's dashboard from the navigation bar.
    as_user(page, "executive")
    page.click("[data-testid=nav-scorecards]")
    links = page.locator("[data-testid=year-2570] [data-testid=dashboard-link]")
    expect(links).to_have_count(1)  # only the open round has one
    expect(links).to_have_attribute("href", f"/scorecards/rounds/{six.pk}/dashboard/")
    links.click()

    # 2. The dashboard: the ministry's five units, two reported; both totals in the distribution and ranking.
    expect(page.locator("[data-testid=count-units]")).to_have_text("5")
    expect(page.locator("[data-testid=count-reported]")).to_have_text("2")
    expect(page.locator("[data-testid=count-missing]")).to_have_text("3")
    chart = page.locator("svg[data-testid=chart-distribution]")
    expect(chart).to_be_visible()
    expect(chart.locator("title").first).to_contain_text("0.5")
    bands = page.locator("table[data-testid=distribution] tbody tr")
    counts = {
        bands.nth(i).locator("th").inner_text(): bands.nth(i).locator("td").last.inner_text()
        for i in range(bands.count())
    }
    assert (counts["3.0–3.5"], counts["3.5–4.0"]) == ("1", "1")
    assert sum(int(c) for c in counts.values()) == 2
    ranking = page.locator("[data-testid=ranking] [data-testid=rank-row]")
    expect(ranking).to_have_count(2)
    expect(ranking.nth(0)).to_contain_text("สำนักบี")
    expect(ranking.nth(0).locator("td.fw-bold")).to_have_text(b.self_card["total"])
    expect(ranking.nth(1)).to_contain_text("สำนักเอ")
    expect(ranking.nth(1).locator("td.fw-bold")).to_have_text(a.self_card["total"])
    mean = f"{(Decimal(a.self_card['total']) + Decimal(b.self_card['total'])) / 2:.4f}"
    assert mean == "3.3625"
    expect(page.locator("[data-testid=eligible]")).to_contain_text(mean)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # 3. The full scorecard, then the department (no report of its own: shown as missing, never a number).
    page.click("a[data-testid=to-scorecard]")
    table = page.locator("table[data-testid=scorecard]")
    for rep, unit in ((a, org.bureau_a), (b, org.bureau_b)):
        row = table.locator(f"tr[data-unit='{unit.pk}']")
        expect(row.locator("[data-testid=total]")).to_have_text(rep.self_card["total"])
        for d in dims:
            expect(row.locator(f"[data-testid=dim-{d.order}]")).to_have_text(dim_score(rep.self_card, d))
    dept_row = table.locator(f"tr[data-unit='{org.dept.pk}']")
    expect(dept_row.locator("[data-testid=missing]")).to_be_visible()
    dept_row.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text("กรมหนึ่ง")
    expect(page.locator("[data-testid=missing]").first).to_be_visible()
    children = page.locator("table[data-testid=children]")
    expect(children.locator(f"tr[data-unit='{org.bureau_b.pk}'] [data-testid=total]")).to_have_text(
        b.self_card["total"]
    )
    expect(children.locator(f"tr[data-unit='{org.bureau_a.pk}'] [data-testid=total]")).to_have_text(
        a.self_card["total"]
    )

    # 4. Bureau A: its total and each dimension's score beside the level-3 target.
    children.locator(f"tr[data-unit='{org.bureau_a.pk}'] a").click()
    expect(page.locator("h1")).to_contain_text("สำนักเอ")
    expect(page.locator("[data-testid=unit-total] [data-testid=total]")).to_have_text(a.self_card["total"])
    for d in dims:
        row = page.locator(f"tr[data-testid=dimension-row][data-order='{d.order}']")
        expect(row.locator("[data-testid=score]")).to_have_text(dim_score(a.self_card, d))
        expect(row.locator("td").nth(3)).to_have_text("3.0000")
    unit_path = f"/scorecards/rounds/{six.pk}/units/{org.bureau_a.pk}/"
    assert page.url.endswith(unit_path)

    # 5. Dimension 1, then its KPI.
    page.click("tr[data-testid=dimension-row][data-order='1'] a")
    expect(page.locator("[data-testid=dimension-score] strong")).to_have_text(dim_score(a.self_card, dims[0]))
    kpi_row = page.locator("table[data-testid=kpis] tr[data-testid=kpi-row]")
    expect(kpi_row).to_have_count(1)
    code = kpi_row.get_attribute("data-code")
    expect(kpi_row.locator("[data-testid=score]")).to_have_text(a.self_card["kpis"][code]["score"])
    expect(kpi_row.locator("td").last).to_have_text("1")  # one evidence file
    kpi_row.locator("a").click()

    # 6. The KPI: A's own result and score, the narrative, and the evidence file, byte for byte.
    expect(page.locator("[data-testid=kpi-score] [data-testid=result]")).to_have_text("85")
    expect(page.locator("[data-testid=kpi-score] [data-testid=score]")).to_have_text(
        a.self_card["kpis"][code]["score"]
    )
    expect(page.locator("[data-testid=narrative]")).to_have_text("ดำเนินการตามแผนงาน")
    file_link = page.locator("ul[data-testid=evidence] a")
    expect(file_link).to_have_count(1)
    expect(file_link).to_have_text(EVIDENCE_NAME)
    page.screenshot(path="/tmp/exec-kpi.png", full_page=True)
    response = page.request.get(file_link.get_attribute("href"))
    assert response.ok and response.body() == EVIDENCE
    assert "attachment" in response.headers.get("content-disposition", "")
    # The verified figures of the same KPI: the verifier's 80 scores 3.0000.
    page.click("[data-testid=basis] a:not([aria-current])")
    expect(page.locator("[data-testid=kpi-score] [data-testid=result]")).to_have_text("80")
    expect(page.locator("[data-testid=kpi-score] [data-testid=score]")).to_have_text(
        a.verified_card["kpis"][code]["score"]
    )

    # 7. Back up by the breadcrumbs, keeping the verified figures: the bureau, then the department.
    page.locator(f"[data-testid=breadcrumbs] a[href='{unit_path}?basis=verified']").click()
    expect(page.locator("h1")).to_contain_text("สำนักเอ")
    expect(page.locator("[data-testid=unit-total] [data-testid=total]")).to_have_text(
        a.verified_card["total"]
    )
    for d in dims:
        row = page.locator(f"tr[data-testid=dimension-row][data-order='{d.order}']")
        expect(row.locator("[data-testid=score]")).to_have_text(dim_score(a.verified_card, d))
    page.locator(
        f"[data-testid=breadcrumbs] a[href='/scorecards/rounds/{six.pk}/units/{org.dept.pk}/?basis=verified']"
    ).click()
    expect(page.locator("h1")).to_contain_text("กรมหนึ่ง")
    children = page.locator("table[data-testid=children]")
    expect(children.locator(f"tr[data-unit='{org.bureau_a.pk}'] [data-testid=total]")).to_have_text(
        a.verified_card["total"]
    )
    # B is not verified yet: its self-assessed total with the marker, never a blank or a zero.
    expect(children.locator(f"tr[data-unit='{org.bureau_b.pk}'] [data-testid=total]")).to_contain_text(
        b.self_card["total"]
    )

    # 8. The dashboard as PDF: requested on the dashboard, made in the background, downloaded and read.
    page.goto(f"/scorecards/rounds/{six.pk}/dashboard/")
    page.click("form[data-testid=exports] button[value=dashboard_pdf]")
    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    download = page.locator("[data-testid=download]")
    expect(download).to_be_visible(timeout=60000)
    with page.expect_download() as info:
        download.click()
    path = tmp_path / "dashboard.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    shutil.copy(path, "/tmp/exec-dashboard.pdf")  # to look at beside the screenshot
    text = pdf_text(path.read_bytes(), tmp_path)
    for shown in (a.self_card["total"], b.self_card["total"], "สำนักเอ", "สำนักบี"):
        assert shown in text, shown
    assert mean in text  # the mean of the two reported totals, as the dashboard shows it
    assert seen == []


def right_edge(locator) -> float:
    box = locator.bounding_box()
    return box["x"] + box["width"]


@pytest.mark.browser
def test_the_navigation_bar_fits_at_1280_and_collapses_below_1200(org, page):
    """The widest bar there is: an administrator of the ministry who also sits on a committee (every menu,
    "Manage" and "Committee queue" included). At 1280 px nothing is pushed off the page; menus open and
    lead where they say; below Bootstrap's xl breakpoint the bar folds behind the toggler."""
    from kpi_agreements.organisation.models import CommitteeMember

    CommitteeMember.objects.create(committee=org.committee, person=org.admin, position="member")
    page.set_viewport_size({"width": 1280, "height": 800})
    as_user(page, "admin")
    page.goto("/")
    nav = page.locator("nav.navbar")
    logout = nav.locator("form[action$='/logout/'] button")
    for element in (
        logout,
        nav.locator("[data-testid=current-user]"),
        nav.locator("[data-testid=nav-scorecards]"),
    ):
        expect(element).to_be_visible()
        assert right_edge(element) <= 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert nav.bounding_box()["height"] < 70  # one line
    page.screenshot(path="/tmp/exec-navbar-1280.png")

    # The grouped menus open (Bootstrap's JavaScript, served locally) and their links work.
    page.click("[data-testid=nav-queues]")
    expect(nav.locator("a.dropdown-item[href='/committee/queue/']")).to_be_visible()
    nav.locator("a.dropdown-item[href='/reports/verify/']").click()
    expect(page).to_have_url(re.compile(r"/reports/verify/$"))
    page.click("[data-testid=nav-years]")
    nav.locator("a.dropdown-item[href='/calculator/']").click()
    expect(page).to_have_url(re.compile(r"/calculator/$"))
    page.click("[data-testid=nav-years]")
    nav.locator("a.dropdown-item[href='/years/']").click()
    expect(page).to_have_url(re.compile(r"/years/$"))
    page.click("[data-testid=nav-scorecards]")
    expect(page).to_have_url(re.compile(r"/scorecards/$"))

    # Below 1200 px: the toggler shows, the items wait behind it.
    page.set_viewport_size({"width": 1024, "height": 800})
    expect(nav.locator(".navbar-toggler")).to_be_visible()
    expect(nav.locator("[data-testid=current-user]")).to_be_hidden()
    nav.locator(".navbar-toggler").click()
    expect(logout).to_be_visible()
    assert right_edge(logout) <= 1024
