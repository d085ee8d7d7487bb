"""An administrator's first morning, in real headless Chromium."""

import re

import pytest
from django.core import mail

from tests.conftest import PASSWORD


def log_in(page, username, password):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button.btn-primary")


def open_menu(page, href):
    """Open the navigation's Organisation menu (หน่วยงาน) and follow one of its links."""
    page.click("nav .dropdown-toggle:has-text('หน่วยงาน')")
    page.click(f"nav a.dropdown-item[href='{href}']")


@pytest.mark.browser
def test_administrator_creates_a_unit_invites_a_person_who_then_sees_only_their_part(org, page, live_server):
    log_in(page, "admin", PASSWORD)
    open_menu(page, "/units/")
    page.click("main >> text=สร้างหน่วยงาน")
    page.select_option("select[name=parent]", str(org.bureau_a.pk))
    page.fill("input[name=name_th]", "กลุ่มงานติดตามผล")
    page.fill("input[name=name_en]", "Monitoring Group")
    page.fill("input[name=abbreviation]", "กตผ.")
    page.select_option("select[name=unit_type]", str(org.bureau_a.unit_type_id))
    page.click("main form button.btn-primary")
    page.wait_for_selector("h1:has-text('กลุ่มงานติดตามผล')")

    open_menu(page, "/people/")
    page.click("main >> text=เพิ่มบุคลากร")
    page.fill("input[name=title]", "นางสาว")
    page.fill("input[name=first_name]", "สุดา")
    page.fill("input[name=last_name]", "ตั้งใจ")
    page.fill("input[name=username]", "suda")
    page.fill("input[name=email]", "suda@example.go.th")
    page.fill("input[name=mobile]", "089-999-9999")
    new_unit = page.locator("select[name=unit] option", has_text="กลุ่มงานติดตามผล").get_attribute("value")
    page.select_option("select[name=unit]", new_unit)
    page.select_option("select[name=role]", "unit_head")
    page.click("main form button.btn-primary")
    page.wait_for_selector("h1:has-text('นางสาวสุดา ตั้งใจ')")
    page.click("nav >> text=ออกจากระบบ")
    page.wait_for_selector("input[name=username]")

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    page.goto(live_server.url + "/" + link.split("://", 1)[1].split("/", 1)[1])
    page.fill("input[name=password1]", "suda-secret-2570")
    page.fill("input[name=password2]", "suda-secret-2570")
    page.click("main form button.btn-primary")
    log_in(page, "suda", "suda-secret-2570")
    page.wait_for_selector("[data-testid=current-user]:has-text('สุดา')")
    open_menu(page, "/units/")
    tree = page.locator(".unit-tree").inner_text()
    assert "กลุ่มงานติดตามผล" in tree
    for hidden in ("สำนักเอ", "สำนักบี", "กรมหนึ่ง", "กระทรวงทดสอบ"):
        assert hidden not in tree
    page.goto(f"/units/{org.bureau_b.pk}/")
    assert page.locator("h1").first.inner_text() != "สำนักบี"
    page.screenshot(path="/tmp/foundation-journey.png", full_page=True)
