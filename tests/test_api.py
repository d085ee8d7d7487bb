"""The read-only JSON API (issue 15): personal tokens; 401, 404, 400, an empty page past the end, 429; the
numbers equal the stored e-SAR cards and the scorecards to 4 places; the OpenAPI schema validates (with
openapi-spec-validator); the documentation page loads nothing from outside and needs no inline script."""

from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from kpi_agreements.api import services
from kpi_agreements.api.models import ApiToken
from kpi_agreements.reporting.models import Round
from kpi_agreements.scorecards import selectors as scorecards
from tests.test_public_world import VERIFIED_TOTAL, public_world_fixture  # noqa: F401 (the fixture)

FOUR = Decimal("0.0001")


def four(value) -> str | None:
    return None if value in (None, "") else str(Decimal(str(value)).quantize(FOUR, rounding=ROUND_HALF_UP))


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.AXES_ENABLED = False
    cache.clear()
    yield
    cache.clear()


def as_token(person) -> Client:
    _token, secret = services.token_create(person=person, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


# --- tokens ------------------------------------------------------------------------------------------------


def test_a_person_makes_a_token_sees_it_once_and_revokes_it(org, client_for):
    client = client_for(org.head_a)
    assert (
        reverse("api_tokens") in client.get(reverse("person_detail", args=[org.head_a.pk])).content.decode()
    )
    response = client.post(reverse("api_tokens"), {"name": "รายงานประจำเดือน"})
    assert response.status_code == 200
    body = response.content.decode()
    token = ApiToken.objects.get(person=org.head_a)
    secret = body.split('<code class="fs-6 user-select-all">')[1].split("</code>")[0]
    assert secret.startswith("kpi_") and len(secret) > 40
    assert token.token_hash == ApiToken.hash(secret) and secret not in token.token_hash
    assert "no-store" in response["Cache-Control"]
    assert secret not in client.get(reverse("api_tokens")).content.decode()  # shown once
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/years").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 302
    assert api.get("/api/v1/years").status_code == 401


def test_nobody_revokes_anothers_token(org, client_for):
    token, secret = services.token_create(person=org.head_a, name="x")
    other = client_for(org.admin)
    assert other.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    assert other.get(reverse("api_tokens")).content.decode().count(token.hint) == 0
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/years").status_code == 200


def test_a_token_needs_a_name(org, client_for):
    response = client_for(org.head_a).post(reverse("api_tokens"), {"name": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


# --- 401 ---------------------------------------------------------------------------------------------------


def test_missing_unknown_revoked_or_malformed_tokens_are_401(org):
    token, secret = services.token_create(person=org.head_a, name="x")
    services.token_revoke(token=token)
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer kpi_not-a-token"},
        {"HTTP_AUTHORIZATION": f"Bearer {secret}"},
        {"HTTP_AUTHORIZATION": f"Basic {secret}"},
        {"HTTP_AUTHORIZATION": "Bearer"},
    ):
        response = Client(**headers).get("/api/v1/agreements")
        assert response.status_code == 401, headers
        assert response.json() == {"detail": "Unauthorized"}


def test_a_deactivated_persons_token_is_401(org):
    client = as_token(org.head_a)
    org.head_a.is_active = False
    org.head_a.save()
    assert client.get("/api/v1/years").status_code == 401


def test_an_unknown_token_is_refused_even_beside_a_session(org, client_for):
    client = client_for(org.admin)
    assert client.get("/api/v1/years").status_code == 200  # the session, for the documentation page
    assert client.get("/api/v1/years", HTTP_AUTHORIZATION="Bearer kpi_wrong").status_code == 401


def test_public_endpoints_need_no_token(public_world):
    assert Client().get("/api/v1/public/years").status_code == 200
    assert Client(HTTP_AUTHORIZATION="Bearer kpi_wrong").get("/api/v1/public/years").status_code == 200


# --- 404: another unit's object, as in the browser -------------------------------------------------------


def test_another_units_objects_are_404(public_world):
    w = public_world
    head_a = as_token(w.org.head_a)
    b = w.unpublished
    for url in (
        "/api/v1/agreements/{}",
        "/api/v1/reports/{}",
        "/api/v1/reports/{}/cards",
        "/api/v1/units/{}",
        "/api/v1/scorecards?year=2570&round=12&unit={}",
    ):
        pk = w.org.bureau_b.pk if "unit" in url else w.report_b.pk if "reports" in url else b.pk
        assert head_a.get(url.format(pk)).status_code == 404, url  # another unit's
        assert head_a.get(url.format(999999)).status_code == 404, url  # nobody's
    assert head_a.get(f"/api/v1/agreements/{w.published.pk}").status_code == 200
    assert head_a.get("/api/v1/years/2999").status_code == 404
    assert head_a.get("/api/v1/scorecards?year=2570&round=6").status_code == 200


def test_lists_hold_exactly_what_the_person_reads_in_the_browser(public_world):
    from kpi_agreements.agreements.access import agreements_visible_to
    from kpi_agreements.organisation.access import scope_of
    from kpi_agreements.reporting.access import reports_visible_to

    w = public_world
    for person in (w.org.head_a, w.org.member, w.org.supervisor, w.org.planner, w.org.outsider):
        client = as_token(person)
        ids = {a["id"] for a in client.get("/api/v1/agreements?page_size=200").json()["items"]}
        assert ids == set(agreements_visible_to(person).values_list("pk", flat=True)), person
        ids = {r["id"] for r in client.get("/api/v1/reports?page_size=200").json()["items"]}
        assert ids == set(reports_visible_to(person).values_list("pk", flat=True)), person
        ids = {u["id"] for u in client.get("/api/v1/units?page_size=200").json()["items"]}
        assert ids == set(scope_of(person).units().values_list("pk", flat=True)), person
    assert as_token(w.org.outsider).get("/api/v1/agreements").json() == {"items": [], "count": 0}


# --- 400 and pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/agreements?year=abc", "year"),
        ("/api/v1/agreements?unit=1.5", "unit"),
        ("/api/v1/agreements?status=lost", "status"),
        ("/api/v1/reports?round=7", "round"),
        ("/api/v1/reports?page=x", "page"),
        ("/api/v1/reports?page=0", "page"),
        ("/api/v1/units?level=abc", "level"),
        ("/api/v1/scorecards?round=12", "year"),
        ("/api/v1/scorecards?year=2570&basis=both", "basis"),
        ("/api/v1/scorecards?year=2570&level=๓", "level"),
        ("/api/v1/public/agreements?year=twenty", "year"),
    ],
)
def test_a_filter_of_the_wrong_type_is_400_naming_it(public_world, url, field):
    response = as_token(public_world.org.admin).get(url)
    assert response.status_code == 400
    data = response.json()
    assert field in [e["field"] for e in data["errors"]]
    assert field in data["detail"]


def test_a_page_past_the_end_is_empty(public_world):
    client = as_token(public_world.org.admin)
    count = client.get("/api/v1/agreements").json()["count"]
    assert count >= 3
    assert client.get("/api/v1/agreements?page=2&page_size=2").json()["items"]
    assert client.get("/api/v1/agreements?page=99").json() == {"items": [], "count": count}
    assert Client().get("/api/v1/public/agreements?page=99").json()["items"] == []


# --- 429 ---------------------------------------------------------------------------------------------------


def test_too_many_requests_a_minute_are_429_per_token(org, settings):
    settings.API_RATE_PER_MINUTE = 3
    first, second = as_token(org.head_a), as_token(org.head_a)
    assert [first.get("/api/v1/years").status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get("/api/v1/years")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert second.get("/api/v1/years").status_code == 200  # the other token counts on its own
    public = Client()
    assert [public.get("/api/v1/public/years").status_code for _ in range(4)] == [200, 200, 200, 429]


# --- the numbers ------------------------------------------------------------------------------------------


def test_the_cards_equal_the_stored_e_sar_cards_to_4_places(public_world):
    w = public_world
    report = w.report
    data = as_token(w.org.member).get(f"/api/v1/reports/{report.pk}/cards").json()
    assert data["status"] == "verified"
    for name, stored in (("self_assessed", report.self_card), ("verified", report.verified_card)):
        card = data[name]
        assert {k["code"] for k in card["kpis"]} == set(stored["kpis"])
        for k in card["kpis"]:
            figures = stored["kpis"][k["code"]]
            for key in ("weight", "score", "weighted"):
                assert k[key] == four(figures[key]), (name, k["code"], key)
                assert len(k[key].split(".")[1]) == 4
        for d in card["dimensions"]:
            figures = stored["dimensions"][str(d["dimension_id"])]
            assert (d["weight"], d["score"], d["weighted"]) == tuple(
                four(figures[key]) for key in ("weight", "score", "weighted")
            )
        for key in ("subtotal", "penalty", "total"):
            assert card[key] == four(stored[key])
    assert data["verified"]["total"] == VERIFIED_TOTAL == four(report.verified_total)
    assert data["self_assessed"]["total"] == "3.0050" == four(report.self_total)


def test_the_report_items_carry_the_stored_scores(public_world):
    w = public_world
    data = as_token(w.org.head_a).get(f"/api/v1/reports/{w.report.pk}").json()
    assert data["self_total"] == "3.0050" and data["verified_total"] == VERIFIED_TOTAL
    assert data["penalty"] == "0.0000"
    items = {i.pk: i for i in w.report.items.all()}
    for row in data["items"]:
        item = items[row["id"]]
        assert row["self_score"] == four(item.self_score)
        assert row["verified_score"] == four(item.verified_score)
        assert row["weight"] == four(item.weight)
    first = min(data["items"], key=lambda r: r["code"])
    assert first["result"] == {"actual": "85.0000"} and first["verified_result"] == {"actual": "80.0000"}
    assert first["self_score"] == "3.5000" and first["verified_score"] == "3.0000"
    assert "evidence" not in str(row.keys())


@pytest.mark.parametrize("basis", ["self", "verified"])
def test_the_scorecard_equals_the_scorecards_app_to_4_places(public_world, basis):
    w = public_world
    person = w.org.director
    round = Round.objects.select_related("fiscal_year").get(fiscal_year=w.org.year, months=12)
    rows = scorecards.scorecard_rows(person, round, basis=basis)
    scorecards.rank(rows, round.fiscal_year.policy, scorecards.tiers_of(round.fiscal_year))
    data = as_token(person).get(f"/api/v1/scorecards?year=2570&round=12&basis={basis}&page_size=200").json()
    assert data["count"] == len(rows)
    by_unit = {r["unit"]["id"]: r for r in data["items"]}
    for row in rows:
        got = by_unit[row.unit_id]
        assert got["total"] == four(row.total)
        assert got["penalty"] == four(row.penalty)
        assert got["rank"] == row.rank and got["missing"] == row.missing and got["status"] == row.status
        assert {d["dimension_id"]: d["score"] for d in got["dimensions"]} == {
            d.pk: four(row.dims.get(d.pk)) for d in w.dims
        }
    a = by_unit[w.org.bureau_a.pk]
    assert a["total"] == (VERIFIED_TOTAL if basis == "verified" else "3.0050")
    b = by_unit[w.org.bureau_b.pk]
    assert b["not_verified"] is (basis == "verified")
    # Filters: a subtree, a level.
    only_a = as_token(person).get(f"/api/v1/scorecards?year=2570&unit={w.org.bureau_a.pk}").json()
    assert [r["unit"]["id"] for r in only_a["items"]] == [w.org.bureau_a.pk]
    level = w.org.bureau_a.depth
    leveled = as_token(person).get(f"/api/v1/scorecards?year=2570&level={level}").json()
    assert {r["level"] for r in leveled["items"]} == {level}


def test_decimals_are_strings_with_4_places_and_names_in_thai_and_english(public_world):
    w = public_world
    client = as_token(w.org.admin)
    framework = client.get("/api/v1/years/2570/framework").json()
    assert [d["weight"] for d in framework["dimensions"]] == ["45.0000", "15.0000", "20.0000", "20.0000"]
    year = client.get("/api/v1/years/2570").json()
    assert year["start"] == "2026-10-01" and year["end"] == "2027-09-30"
    assert year["name_th"] != year["name_en"] and "2570" in year["name_en"]
    report = next(m for m in year["milestones"] if m["kind"] == "report_12")
    assert report["due_date"] == "2027-10-31" and report["effective_due_date"] == "2027-11-01"
    assert report["name_th"] != report["name_en"]
    policy = year["scoring_policy"]
    assert (policy["floor"], policy["incentive_threshold"], policy["places"]) == ("1.0000", "3.0000", 4)
    assert policy["late_penalty_per_day"]["12"] == "0.0500"
    agreement = client.get(f"/api/v1/agreements/{w.published.pk}").json()
    kpi = agreement["kpis"][0]
    assert kpi["weight"] == "45.0000"
    assert kpi["baseline"] == [{"year": 2567, "value": "85.5000"}]
    assert kpi["criteria"]["thresholds"] == ["60.0000", "70.0000", "80.0000", "90.0000", "100.0000"]
    assert kpi["supervisor"] == {"id": w.org.supervisor.pk, "name": w.org.supervisor.display_name}
    assert "mobile" not in str(agreement) and w.org.supervisor.email not in str(agreement)
    unit = client.get(f"/api/v1/units/{w.org.bureau_a.pk}").json()
    assert (unit["name_th"], unit["name_en"]) == (w.org.bureau_a.name_th, "Bureau A")


# --- the schema and the documentation page ---------------------------------------------------------------


def test_the_openapi_schema_validates():
    from openapi_spec_validator import validate

    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert {"/api/v1/scorecards", "/api/v1/reports/{report_id}/cards", "/api/v1/public/agreements"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert "security" not in schema["paths"]["/api/v1/public/years"]["get"]


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.assets, self.inline = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.assets.append(attrs["src"])
            elif attrs.get("type") != "application/json":
                self.inline.append(tag)
        if tag == "link":
            self.assets.append(attrs.get("href"))
        if "style" in attrs:
            self.inline.append(f"{tag} style")


def test_the_docs_page_loads_only_our_own_static_files():
    from django.conf import settings

    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    parser = Assets()
    parser.feed(body)
    assert parser.inline == []  # the JSON settings block is data, not script
    assert "ninja/swagger-ui-bundle.js" in " ".join(parser.assets)
    for asset in parser.assets:
        assert asset.startswith(settings.STATIC_URL), asset
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), asset
    assert "http://" not in body and "https://" not in body and "cdn" not in body.lower()
    assert '"validatorUrl": null' in body
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
