"""The public site and the API documentation in real headless Chromium, as an anonymous visitor (issue 15):
from the home page to a unit's signed agreement, its verified result and its PDF; the unit tree and the
search; English on request; printing without the navigation; the Swagger UI from our own static files, with
"Try it out" working, under the Content Security Policy and without a request to anywhere else."""

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from tests.test_public_world import PUBLIC_KPI, VERIFIED_TOTAL, public_world_fixture  # noqa: F401 (the fixture)

CSP = "Content Security Policy"


@pytest.fixture
def watched(page, live_server):
    """Console errors (the CSP's refusals among them), uncaught errors, and requests to other hosts."""
    cache.clear()
    seen = {"errors": [], "elsewhere": []}
    ours = urlsplit(live_server.url).netloc
    # A missing favicon is Chromium's own request, not the page's.
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and "favicon" not in (m.location or {}).get("url", "")
            and seen["errors"].append(f"{m.text} {m.location}")
        ),
    )
    page.on("pageerror", lambda e: seen["errors"].append(f"page error: {e}"))

    def request(r):
        parts = urlsplit(r.url)
        if parts.scheme in ("http", "https") and parts.netloc != ours:
            seen["elsewhere"].append(r.url)

    page.on("request", request)
    return seen


@pytest.mark.browser
def test_an_anonymous_visitor_reads_a_published_agreement(public_world, page, watched, tmp_path):
    w = public_world
    page.goto("/public/")
    assert page.locator("html").get_attribute("lang") == "th"
    assert page.locator("h1").count() == 1
    page.click("[data-testid=public-years] a[href='/public/2570/']")
    page.wait_for_selector("[data-testid=public-dimensions]")
    assert page.locator("[data-testid=public-agreements] tbody tr").count() == 1
    page.click(f"[data-testid=public-agreements] a:has-text('{w.org.bureau_a.name_th}')")
    page.wait_for_selector("[data-testid=public-kpis]")
    assert page.locator(f"[data-testid=public-kpis] td:has-text('{PUBLIC_KPI} มิติ 1')").count() == 1
    assert page.inner_text("[data-testid=public-result] [data-testid=public-total]").strip() == VERIFIED_TOTAL
    with page.expect_download() as info:
        page.evaluate(
            "() => { const a = document.querySelector('[data-testid=public-pdf]');"
            " a.setAttribute('download', ''); a.click(); }"
        )
    path = tmp_path / "public.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    # Printable: the navigation and the buttons stay off the paper.
    page.emulate_media(media="print")
    assert page.locator("header").is_hidden()
    assert page.locator("[data-testid=public-pdf]").is_hidden()
    assert page.locator("[data-testid=public-kpis]").is_visible()
    page.emulate_media(media="screen")

    page.click(f"main a[href='/public/units/{w.org.bureau_a.pk}/']")
    page.wait_for_selector("[data-testid=public-unit-years]")
    page.goto("/public/units/")
    page.fill("#units-q", "Bureau A")
    page.press("#units-q", "Enter")
    page.wait_for_selector(f"[data-testid=public-tree] a[href='/public/units/{w.org.bureau_a.pk}/']")
    assert w.org.bureau_b.name_th not in page.content()

    # English on request, Thai again after.
    page.click("header a[hreflang=en]")
    page.wait_for_selector("html[lang=en]")
    assert "/public/units/" in page.url
    page.click("header a[hreflang=th]")
    page.wait_for_selector("html[lang=th]")
    assert watched == {"errors": [], "elsewhere": []}


@pytest.mark.browser
def test_the_api_documentation_works_offline_under_the_policy(public_world, page, watched):
    response = page.goto("/api/v1/docs/")
    assert response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .opblock-summary-path[data-path='/api/v1/public/years']")
    # Try it out on a public endpoint: the UI calls our own API and shows the answer.
    block = page.locator("#operations-public-kpi_agreements_api_public_years")
    block.locator(".opblock-summary").click()
    # The UI opens with "Try it out" on (tryItOutEnabled): the Execute button is there at once.
    block.locator("button.execute").click()
    page.wait_for_selector(".responses-wrapper .live-responses-table .response-col_status:has-text('200')")
    assert "2570" in block.locator(".live-responses-table").inner_text()
    assert watched == {"errors": [], "elsewhere": []}
