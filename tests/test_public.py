"""The public pages (issue 15, DOMAIN §12): what planning staff published and nothing else; the public copy of
the signed PDF without phone numbers; publishing and withdrawing, by whom; the cache that follows them."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi_agreements.public import services
from kpi_agreements.public.models import PublicationEvent, PublicCopy, UnitPublication, YearPublication
from tests.test_documents import pdf_text
from tests.test_public_world import (  # noqa: F401 (the fixture)
    DRAFT_KPI,
    EVIDENCE_NAME,
    NEXT_YEAR_KPI,
    OFFICE_PHONE,
    PHONE,
    PUBLIC_KPI,
    SECRET_KPI,
    VERIFIED_TOTAL,
    public_world_fixture,
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anon():
    return Client()


def text(response) -> str:
    return response.content.decode()


def test_home_lists_the_published_year_only(public_world, anon):
    body = text(anon.get(reverse("public_home")))
    assert reverse("public_year", args=[2570]) in body
    assert reverse("public_year", args=[2571]) not in body
    assert anon.get(reverse("public_year", args=[2571])).status_code == 404


def test_year_page_shows_the_framework_and_only_the_published_signed_agreement(public_world, anon):
    w = public_world
    body = text(anon.get(reverse("public_year", args=[2570])))
    for d in w.dims:
        assert d.name_th in body
    assert reverse("public_agreement", args=[2570, w.org.bureau_a.pk]) in body
    assert w.org.bureau_a.name_th in body
    assert w.org.bureau_b.name_th not in body  # signed, not published
    assert w.org.other_dept.name_th not in body  # a draft, though marked published


def test_agreement_page_shows_the_kpi_table_signatures_pdf_and_verified_result(public_world, anon):
    w = public_world
    response = anon.get(reverse("public_agreement", args=[2570, w.org.bureau_a.pk]))
    assert response.status_code == 200
    body = text(response)
    for d in w.dims:
        assert f"{PUBLIC_KPI} มิติ {d.order}" in body
    assert "45.0000" in body  # a weight with its 4 places
    assert "2567: 85.5" in body  # the baseline
    assert reverse("public_agreement_pdf", args=[2570, w.org.bureau_a.pk]) in body
    assert re.search(r'data-testid="public-total">\s*' + re.escape(VERIFIED_TOTAL), body)
    # The verified dimension scores, from the stored verified card, to 4 places.
    stored = w.report.verified_card["dimensions"]
    for d in w.dims:
        assert stored[str(d.pk)]["score"] in body
    assert PHONE not in body and OFFICE_PHONE not in body
    assert w.org.supervisor.email not in body


@pytest.mark.parametrize("which, unit_page", [("unpublished", 404), ("draft", 404), ("next_year", 200)])
def test_what_is_not_public_is_404(public_world, anon, which, unit_page):
    """Bureau A's page exists for its FY 2570 agreement; its FY 2571 one is still not public."""
    agreement = getattr(public_world, which)
    be_year = agreement.fiscal_year.be_year
    assert anon.get(reverse("public_agreement", args=[be_year, agreement.unit_id])).status_code == 404
    assert anon.get(reverse("public_agreement_pdf", args=[be_year, agreement.unit_id])).status_code == 404
    assert anon.get(reverse("public_unit", args=[agreement.unit_id])).status_code == unit_page


def test_the_public_pdf_is_the_signed_agreement_without_phone_numbers(public_world, anon, tmp_path):
    w = public_world
    response = anon.get(reverse("public_agreement_pdf", args=[2570, w.org.bureau_a.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content)
    content = pdf_text(pdf, tmp_path)
    assert f"{PUBLIC_KPI} มิติ 1" in content
    assert w.org.supervisor.display_name in content  # the official layout names the supervisor …
    assert PHONE not in content and OFFICE_PHONE not in content  # … without a phone number
    assert "ยังไม่ใช่ฉบับลงนาม" not in content  # no draft marking
    # Rendered once, stored: the second download reads the stored copy.
    assert PublicCopy.objects.filter(document=w.signed_document).count() == 1
    again = anon.get(reverse("public_agreement_pdf", args=[2570, w.org.bureau_a.pk]))
    assert b"".join(again.streaming_content) == pdf
    # The people in the database keep their numbers: only the rendering left them out.
    w.org.supervisor.refresh_from_db()
    assert w.org.supervisor.mobile == PHONE


def test_no_pdf_link_while_the_signed_pdf_is_not_ready(public_world, anon):
    w = public_world
    w.signed_document.__class__.objects.filter(pk=w.signed_document.pk).update(status="processing")
    body = text(anon.get(reverse("public_agreement", args=[2570, w.org.bureau_a.pk])))
    assert reverse("public_agreement_pdf", args=[2570, w.org.bureau_a.pk]) not in body
    assert anon.get(reverse("public_agreement_pdf", args=[2570, w.org.bureau_a.pk])).status_code == 404


def test_results_page_follows_the_year_policy(public_world, anon):
    w = public_world
    body = text(anon.get(reverse("public_results", args=[2570])))
    assert VERIFIED_TOTAL in body
    assert w.org.bureau_b.name_th not in body
    services.year_set(fiscal_year=w.org.year, user=w.org.admin, totals=False)
    assert anon.get(reverse("public_results", args=[2570])).status_code == 404
    body = text(anon.get(reverse("public_agreement", args=[2570, w.org.bureau_a.pk])))
    assert VERIFIED_TOTAL not in body


def test_totals_wait_for_the_12_month_verification(public_world, anon):
    """Bureau B's report is submitted, not verified: published, its agreement shows no total."""
    w = public_world
    services.unit_publish(fiscal_year=w.org.year, unit=w.org.bureau_b, user=w.org.planner)
    body = text(anon.get(reverse("public_agreement", args=[2570, w.org.bureau_b.pk])))
    assert SECRET_KPI in body
    assert 'data-testid="public-result"' not in body
    assert w.org.bureau_b.name_th not in text(anon.get(reverse("public_results", args=[2570])))


def test_unit_tree_and_search(public_world, anon):
    w = public_world
    body = text(anon.get(reverse("public_units")))
    assert reverse("public_unit", args=[w.org.bureau_a.pk]) in body
    assert w.org.dept.name_th in body  # the units above, as structure
    assert reverse("public_unit", args=[w.org.dept.pk]) not in body  # … not as pages
    assert w.org.bureau_b.name_th not in body
    found = text(anon.get(reverse("public_units"), {"q": "Bureau A"}))
    assert reverse("public_unit", args=[w.org.bureau_a.pk]) in found
    assert reverse("public_unit", args=[w.org.bureau_a.pk]) not in text(
        anon.get(reverse("public_units"), {"q": "ไม่มีหน่วยนี้"})
    )
    unit_page = text(anon.get(reverse("public_unit", args=[w.org.bureau_a.pk])))
    assert reverse("public_agreement", args=[2570, w.org.bureau_a.pk]) in unit_page
    assert reverse("public_agreement", args=[2571, w.org.bureau_a.pk]) not in unit_page
    assert VERIFIED_TOTAL in unit_page
    assert anon.get(reverse("public_unit", args=[w.org.bureau_b.pk])).status_code == 404


def test_robots_txt_lets_search_engines_index_the_public_pages(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert "Allow: /public/" in lines
    assert "Disallow: /" in lines
    assert "Disallow: /public/manage/" in lines


def test_pages_are_thai_first_and_english_on_request(public_world, anon):
    w = public_world
    body = text(anon.get(reverse("public_home")))
    assert '<html lang="th">' in body
    response = anon.get(reverse("public_language", args=["en"]), {"next": reverse("public_units")})
    assert response.status_code == 302 and response["Location"] == reverse("public_units")
    body = text(anon.get(reverse("public_agreement", args=[2570, w.org.bureau_a.pk])))
    assert '<html lang="en">' in body
    assert "Bureau A" in body
    # Only a public page is a place to go back to.
    elsewhere = anon.get(reverse("public_language", args=["th"]), {"next": "https://example.com/"})
    assert elsewhere["Location"] == reverse("public_home")
    assert anon.get(reverse("public_language", args=["xx"])).status_code == 404


def test_public_pages_carry_nothing_about_the_visitor(public_world, client_for):
    """A signed-in officer gets the same page as anyone: nothing personal, no CSRF token, so it can be
    cached and shared."""
    w = public_world
    officer = client_for(w.org.admin)
    body = text(officer.get(reverse("public_agreement", args=[2570, w.org.bureau_a.pk])))
    assert "csrfmiddlewaretoken" not in body
    assert w.org.admin.display_name not in body


def test_a_cached_page_costs_one_query_and_publishing_shows_at_once(public_world, anon):
    w = public_world
    url = reverse("public_year", args=[2570])
    anon.get(url)
    with CaptureQueriesContext(connection) as queries:
        body = text(anon.get(url))
    assert len(queries) == 1  # the publication state, nothing else
    assert w.org.bureau_b.name_th not in body
    services.unit_publish(fiscal_year=w.org.year, unit=w.org.bureau_b, user=w.org.planner)
    assert w.org.bureau_b.name_th in text(anon.get(url))
    services.unit_withdraw(fiscal_year=w.org.year, unit=w.org.bureau_b, user=w.org.planner)
    assert w.org.bureau_b.name_th not in text(anon.get(url))
    services.year_set(fiscal_year=w.org.year, user=w.org.admin, published=False)
    assert anon.get(url).status_code == 404
    assert anon.get(reverse("public_agreement", args=[2570, w.org.bureau_a.pk])).status_code == 404


# --- publishing --------------------------------------------------------------------------------------------


def test_only_a_signed_agreement_can_be_published(public_world):
    from django.core.exceptions import ValidationError

    w = public_world
    with pytest.raises(ValidationError):
        services.unit_publish(fiscal_year=w.org.year, unit=w.org.other_dept, user=w.org.admin)


def test_a_planner_publishes_and_withdraws_a_unit_in_scope(public_world, client_for):
    w = public_world
    planner = client_for(w.org.planner)
    url = reverse("publication_unit", args=[w.org.year.pk, w.org.bureau_b.pk])
    page = planner.get(reverse("publication_year", args=[w.org.year.pk]))
    assert page.status_code == 200 and w.org.bureau_b.name_th in text(page)
    assert planner.post(url, {"action": "publish"}).status_code == 302
    assert UnitPublication.objects.filter(fiscal_year=w.org.year, unit=w.org.bureau_b).exists()
    event = PublicationEvent.objects.first()
    assert (event.action, event.unit_id, event.actor_id) == (
        "unit_published",
        w.org.bureau_b.pk,
        w.org.planner.pk,
    )
    planner.post(url, {"action": "withdraw"})
    assert not UnitPublication.objects.filter(fiscal_year=w.org.year, unit=w.org.bureau_b).exists()
    # The year's switches belong to the managers of the whole organisation.
    assert planner.post(reverse("publication_year", args=[w.org.year.pk]), {}).status_code == 404
    assert YearPublication.objects.get(fiscal_year=w.org.year).is_published


def test_a_unit_outside_the_planners_scope_is_404(public_world, client_for):
    w = public_world
    planner = client_for(w.org.planner)  # planning staff of the department, not of the other department
    url = reverse("publication_unit", args=[w.org.year.pk, w.org.other_dept.pk])
    assert planner.post(url, {"action": "withdraw"}).status_code == 404
    assert UnitPublication.objects.filter(fiscal_year=w.org.year, unit=w.org.other_dept).exists()


@pytest.mark.parametrize("persona", ["head_a", "executive", "member", "outsider"])
def test_who_does_not_manage_cannot_publish(public_world, client_for, persona):
    w = public_world
    person = client_for(getattr(w.org, persona))
    assert person.get(reverse("publication_home")).status_code == 404
    assert person.get(reverse("publication_year", args=[w.org.year.pk])).status_code == 404
    url = reverse("publication_unit", args=[w.org.year.pk, w.org.bureau_b.pk])
    assert person.post(url, {"action": "publish"}).status_code == 404
    assert person.post(reverse("publication_all", args=[w.org.year.pk])).status_code == 404
    assert not UnitPublication.objects.filter(unit=w.org.bureau_b).exists()


def test_the_root_manager_switches_the_year_and_its_totals_policy(public_world, client_for):
    w = public_world
    admin = client_for(w.org.admin)
    url = reverse("publication_year", args=[w.org.year.pk])
    assert admin.post(url, {"published": "on"}).status_code == 302
    switches = YearPublication.objects.get(fiscal_year=w.org.year)
    assert switches.is_published and not switches.verified_totals
    assert [e.action for e in PublicationEvent.objects.all()[:1]] == ["totals_withdrawn"]
    admin.post(url, {})
    assert not YearPublication.objects.get(fiscal_year=w.org.year).is_published


def test_publish_every_signed_agreement_in_scope(public_world, client_for):
    w = public_world
    planner = client_for(w.org.planner)
    assert planner.post(reverse("publication_all", args=[w.org.year.pk])).status_code == 302
    published = set(UnitPublication.objects.filter(fiscal_year=w.org.year).values_list("unit_id", flat=True))
    assert {w.org.bureau_a.pk, w.org.bureau_b.pk} <= published
    assert PublicationEvent.objects.filter(unit=w.org.bureau_b, action="unit_published").count() == 1


def test_a_search_is_answered_afresh_and_its_pager_keeps_the_words(public_world, anon):
    from kpi_agreements.organisation import services as org_services

    w = public_world
    for i in range(55):  # more than a page of public units, all matching the search
        unit = org_services.unit_create(
            parent=w.org.dept,
            name_th=f"สำนักค้น & หา {i:02d}",
            abbreviation=f"ค{i:02d}.",
            unit_type=w.org.bureau_a.unit_type,
        )
        UnitPublication.objects.create(fiscal_year=w.org.year, unit=unit)
        w.published.__class__.objects.create(unit=unit, fiscal_year=w.org.year, status="signed")
    url = reverse("public_units")
    anon.get(url, {"q": "ค้น & หา"})
    with CaptureQueriesContext(connection) as queries:
        body = text(anon.get(url, {"q": "ค้น & หา"}))
    assert len(queries) > 1  # not from the cache
    assert "?q=%E0%B8%84%E0%B9%89%E0%B8%99+%26+%E0%B8%AB%E0%B8%B2&amp;page=2" in body


def test_search_engines_may_ask_for_the_headers_only(public_world, anon):
    assert anon.head(reverse("public_year", args=[2570])).status_code == 200
    assert anon.head("/robots.txt").status_code == 200
