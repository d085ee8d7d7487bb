"""A planning officer tries criteria in the calculator; the score updates without a page reload."""

import pytest

from tests.conftest import PASSWORD
from tests.test_browser_foundation import log_in


@pytest.mark.browser
def test_calculator_updates_the_score_in_place_and_keeps_other_methods_input(org, page):
    log_in(page, "planner", PASSWORD)
    page.wait_for_selector("[data-testid=current-user]")
    page.goto("/calculator/")
    page.evaluate("window.notReloaded = true")
    assert page.locator("fieldset[data-method=milestone]").is_hidden()
    for k, value in enumerate(["60", "70", "80", "90", "100"], start=1):
        page.fill(f"input[name=q_t{k}]", value)
    page.fill("input[name=q_actual]", "95")
    page.keyboard.press("Tab")  # the change event, as when the officer moves to the next field
    page.wait_for_selector("[data-testid=score]:has-text('4.5000')")
    assert page.locator("[data-testid=needed-3]").inner_text() == "80"
    assert page.evaluate("window.notReloaded") is True

    page.select_option("select[name=method]", "pass_fail")
    assert page.locator("fieldset[data-method=quantitative]").is_hidden()
    page.fill("input[name=pf_condition]", "เปิดใช้ระบบภายใน 30 ก.ย.")
    page.keyboard.press("Tab")
    page.check("input[name=pf_passed]")
    page.wait_for_selector("[data-testid=score]:has-text('5.0000')")
    page.select_option("select[name=method]", "quantitative")
    assert page.input_value("input[name=q_actual]") == "95"

    page.fill("input[name=q_t3]", "70")
    page.keyboard.press("Tab")
    page.wait_for_selector("#err-q_t1:has-text('เกณฑ์')")
    assert page.input_value("input[name=q_t3]") == "70"
    page.screenshot(path="/tmp/calculator.png", full_page=True)
