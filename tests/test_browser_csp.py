"""The Content Security Policy in real Chromium: the pages run under it without a violation, htmx included."""

import pytest

from tests.conftest import PASSWORD
from tests.test_browser_foundation import log_in

CSP = "Content Security Policy"


@pytest.fixture
def violations(page):
    """What Chromium reports about the policy: console messages and uncaught errors."""
    seen = []
    page.on("console", lambda message: CSP in message.text and seen.append(message.text))
    page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
    return seen


def visit(page, path):
    response = page.goto(path)
    assert response.ok, f"{path}: {response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, f"{path}: {policy!r}"
    page.wait_for_load_state("load")


@pytest.mark.browser
def test_the_detector_sees_an_inline_script_refused(org, page, violations):
    visit(page, "/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.inlineRan = true'; document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.inlineRan === undefined")
    assert violations, "an inline script ran or was refused without a report"


@pytest.mark.browser
def test_a_unit_head_drafts_a_kpi_with_the_live_calculator_and_nothing_breaks_the_policy(
    org, agreement, page, violations
):
    visit(page, "/accounts/login/")
    log_in(page, "head_a", PASSWORD)
    page.wait_for_selector("[data-testid=current-user]")
    visit(page, "/")
    visit(page, f"/agreements/{agreement.pk}/")
    visit(page, f"/agreements/{agreement.pk}/kpis/new/")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    page.evaluate("window.notReloaded = true")
    for k, value in enumerate(["60", "70", "80", "90", "100"], start=1):
        page.fill(f"input[name=criteria-q_t{k}]", value)
    page.fill("input[name=criteria-q_actual]", "85")
    page.keyboard.press("Tab")
    page.wait_for_selector("[data-testid=score]:has-text('3.5000')")
    assert page.evaluate("window.notReloaded") is True
    visit(page, "/calculator/")
    assert violations == []


@pytest.mark.browser
def test_an_administrator_walks_the_framework_and_the_years_agreements_under_the_policy(
    org, dims, page, violations
):
    log_in(page, "admin", PASSWORD)
    page.wait_for_selector("[data-testid=current-user]")
    visit(page, f"/years/{org.year.pk}/framework/")
    # The running total of the dimensions' weights comes from a static script now.
    page.fill("#dimensions-form tbody tr:first-child .dimension-weight", "40")
    page.wait_for_selector("[data-testid=dimensions-total]:has-text('95')")
    visit(page, f"/years/{org.year.pk}/agreements/")
    visit(page, "/units/")
    # The language switch sends its form on change, without an inline handler.
    page.select_option("select#language", "en")
    page.wait_for_selector("html[lang=en]")
    assert violations == []
