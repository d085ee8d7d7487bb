"""Issue 15's leak test: an anonymous visitor follows every link from the public home page (in Thai and in
English, PDFs read as text), and a program walks every public API endpoint page by page; nowhere an
unpublished agreement, a draft, a phone number, an e-mail address or an evidence file."""

import json
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from tests.test_documents import pdf_text
from tests.test_public_world import (  # noqa: F401 (the fixture)
    DRAFT_KPI,
    EVIDENCE_NAME,
    NEXT_YEAR_KPI,
    OFFICE_PHONE,
    PHONE,
    PUBLIC_KPI,
    SECRET_KPI,
    public_world_fixture,
)

# Where a crawl goes on from; any other page it reaches is fetched (it must not leak either) but not expanded.
EXPANDED = ("/public/", "/api/v1/public/")
PHONE_LIKE = re.compile(r"\b0\d{1,2}-\d{3}-\d{4}\b")
EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src", "action"):
            if attrs.get(name):
                self.found.append(attrs[name])


def forbidden(w) -> dict[str, str]:
    """What must never be public, by why."""
    from kpi_agreements.organisation.models import Person

    words = {
        "unpublished agreement's unit": w.org.bureau_b.name_th,
        "unpublished agreement's KPI": SECRET_KPI,
        "draft's unit": w.org.other_dept.name_th,
        "draft's KPI": DRAFT_KPI,
        "unpublished year's KPI": NEXT_YEAR_KPI,
        "mobile phone": PHONE,
        "office phone": OFFICE_PHONE,
        "evidence file": EVIDENCE_NAME,
        "evidence URL": "/evidence/",
        "report URL": "/reports/",
        "media file": "/media/",
        "the signed PDF's own download": "/documents/",
    }
    for person in Person.objects.all():
        words[f"e-mail of {person.username}"] = person.email
    return words


def check(body: str, where: str, words: dict, found: list):
    for why, word in words.items():
        if word and word in body:
            found.append(f"{where}: {why} ({word})")
    for match in PHONE_LIKE.findall(body):
        found.append(f"{where}: something like a phone number ({match})")
    for match in EMAIL_LIKE.findall(body):
        found.append(f"{where}: something like an e-mail address ({match})")


def crawl(client: Client, start: str, words: dict, tmp_path) -> tuple[set, list]:
    seen, found, queue = set(), [], deque([start])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            found.append(f"{url}: {response.status_code}")
            continue
        if response.status_code in (301, 302):
            queue.append(urljoin(url, response["Location"]))
            continue
        kind = response.get("Content-Type", "")
        if kind.startswith("application/pdf"):
            check(pdf_text(b"".join(response.streaming_content), tmp_path), url, words, found)
            continue
        body = response.content.decode()
        check(body, url, words, found)
        if response.status_code != 200 or not url.startswith(EXPANDED) or "html" not in kind:
            continue
        parser = Links()
        parser.feed(body)
        for link in parser.found:
            target = urljoin(url, link)
            parts = urlsplit(target)
            if parts.scheme or parts.netloc:
                found.append(f"{url}: links outside the site ({link})")
                continue
            if target.startswith(settings.STATIC_URL) or "/language/" in target:
                continue
            queue.append(target.split("#")[0])
    return seen, found


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("language", ["th", "en"])
def test_crawling_the_public_site_finds_nothing_unpublished(public_world, tmp_path, language):
    w = public_world
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    seen, found = crawl(client, "/public/", forbidden(w), tmp_path)
    assert found == []
    # The crawl did reach what is public: the year, the agreement, its PDF, the results, the unit pages.
    a = w.org.bureau_a.pk
    for url in (
        "/public/2570/",
        f"/public/2570/units/{a}/",
        f"/public/2570/units/{a}/agreement.pdf",
        "/public/2570/results/",
        "/public/units/",
        f"/public/units/{a}/",
    ):
        assert url in seen, f"the crawl never reached {url}"
    assert not [u for u in seen if "/2571/" in u]


def api_get(client, url, found):
    response = client.get(url)
    if response.status_code != 200:
        found.append(f"{url}: {response.status_code}")
        return None
    return response


def test_walking_the_public_api_finds_nothing_unpublished(public_world, tmp_path):
    """Every list page by page to the first empty page, every item of it, every path it names."""
    w = public_world
    words = forbidden(w)
    client = Client()
    found, agreements, details = [], set(), []

    def pages(url):
        rows, page = [], 1
        while True:
            response = api_get(client, f"{url}{'&' if '?' in url else '?'}page={page}&page_size=1", found)
            if response is None:
                return rows
            check(response.content.decode(), url, words, found)
            data = response.json()
            if not data["items"]:
                return rows
            rows += data["items"]
            page += 1

    years = pages("/api/v1/public/years")
    assert [y["be_year"] for y in years] == [2570]
    for y in years:
        details.append(f"/api/v1/public/years/{y['be_year']}")
        if y["verified_totals"]:
            results = pages(f"/api/v1/public/years/{y['be_year']}/results")
            assert [r["unit"]["id"] for r in results] == [w.org.bureau_a.pk]
    for a in pages("/api/v1/public/agreements"):
        agreements.add(a["id"])
        details.append(f"/api/v1/public/agreements/{a['id']}")
    units = pages("/api/v1/public/units")
    assert [u["id"] for u in units] == [w.org.bureau_a.pk]
    details += [f"/api/v1/public/units/{u['id']}" for u in units]
    assert agreements == {w.published.pk}
    for url in details:
        response = api_get(client, url, found)
        if response is None:
            continue
        body = response.content.decode()
        check(body, url, words, found)
        pdf = json.loads(body).get("pdf")
        if pdf:
            download = client.get(pdf)
            assert download.status_code == 200
            check(pdf_text(b"".join(download.streaming_content), tmp_path), pdf, words, found)
    assert found == []
    # What is not public is not there to ask for either.
    for agreement in (w.unpublished, w.draft, w.next_year):
        assert client.get(f"/api/v1/public/agreements/{agreement.pk}").status_code == 404
    assert client.get("/api/v1/public/years/2571").status_code == 404
    assert client.get(f"/api/v1/public/units/{w.org.bureau_b.pk}").status_code == 404
    detail = client.get(f"/api/v1/public/agreements/{w.published.pk}").json()
    assert {k["name"] for k in detail["kpis"]} == {f"{PUBLIC_KPI} มิติ {d.order}" for d in w.dims}
    assert "supervisor" not in detail["kpis"][0] and "collector" not in detail["kpis"][0]


def test_the_checks_would_see_a_leak(public_world):
    """The same checks on the official signed document (behind its access check) find the phone numbers and
    the unit that is not published: a crawl that found nothing found nothing for want of it."""
    from kpi_agreements.documents.render import render_agreement_html

    w = public_world
    found = []
    check(
        render_agreement_html(w.unpublished, draft=False, thai_digits=False), "official", forbidden(w), found
    )
    assert any("mobile phone" in f for f in found)
    assert any("unpublished agreement's KPI" in f for f in found)
    assert any("something like a phone number" in f for f in found)
