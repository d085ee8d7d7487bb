"""Every API endpoint × every persona's token and no token, on bureau A's objects (inside the department) and
bureau C's (in the other department), as tests/test_url_walk.py walks the pages: the people of a row get 200,
everyone else 404 (401 without a token on the signed-in endpoints). Public endpoints answer everyone for what
is published and no one for what is not, whatever the token. A list answers exactly what the person's access
helper gives. An endpoint without a row fails the test."""

import pytest
from django.core.cache import cache
from django.test import Client

from kpi_agreements.api import services
from tests.conftest import make_person
from tests.factories import add_kpi
from tests.test_public_world import public_world_fixture  # noqa: F401 (the fixture)

ADMIN, SUB_ADMIN, PLANNER, DIRECTOR = "admin", "sub_admin", "planner", "director"
HEAD_A, HEAD_B, SUPERVISOR, COLLECTOR = "head_a", "head_b", "supervisor", "collector"
MEMBER, MEMBER_NEXT, EXECUTIVE, OUTSIDER, ANON = "member", "member_next", "executive", "outsider", "anonymous"
PERSONAS = [
    ADMIN,
    SUB_ADMIN,
    PLANNER,
    DIRECTOR,
    HEAD_A,
    HEAD_B,
    SUPERVISOR,
    COLLECTOR,
    MEMBER,
    MEMBER_NEXT,
    EXECUTIVE,
    OUTSIDER,
    ANON,
]
EVERYONE = set(PERSONAS)
SIGNED_IN = EVERYONE - {ANON}
READERS = {ADMIN, SUB_ADMIN, PLANNER, DIRECTOR, HEAD_A, SUPERVISOR, COLLECTOR, MEMBER, EXECUTIVE}
UNIT_READERS = {ADMIN, SUB_ADMIN, PLANNER, DIRECTOR, HEAD_A, EXECUTIVE}
SCORECARD_READERS = SIGNED_IN - {MEMBER_NEXT, OUTSIDER}
WHOLE_TREE = {ADMIN, EXECUTIVE}
NOBODY: set = set()

# url name -> (path with {placeholders}, who may GET it inside, who may GET it outside (None: no object)).
TABLE = {
    "api_units": ("/api/v1/units", SIGNED_IN, None),
    "api_unit": ("/api/v1/units/{unit}", UNIT_READERS, WHOLE_TREE),
    "api_years": ("/api/v1/years", SIGNED_IN, None),
    "api_year": ("/api/v1/years/2570", SIGNED_IN, None),
    "api_framework": ("/api/v1/years/2570/framework", SIGNED_IN, None),
    "api_agreements": ("/api/v1/agreements", SIGNED_IN, None),
    "api_agreement": ("/api/v1/agreements/{agreement}", READERS, WHOLE_TREE),
    "api_reports": ("/api/v1/reports", SIGNED_IN, None),
    "api_report": ("/api/v1/reports/{report}", READERS, WHOLE_TREE),
    "api_report_cards": ("/api/v1/reports/{report}/cards", READERS, WHOLE_TREE),
    "api_scorecard": ("/api/v1/scorecards?year=2570&round=12&unit={unit}", READERS, WHOLE_TREE),
    # Public: bureau A's agreement is published; bureau C's, signed, is not.
    "api_public_years": ("/api/v1/public/years", EVERYONE, None),
    "api_public_year": ("/api/v1/public/years/2570", EVERYONE, None),
    "api_public_results": ("/api/v1/public/years/2570/results", EVERYONE, None),
    "api_public_agreements": ("/api/v1/public/agreements", EVERYONE, None),
    "api_public_agreement": ("/api/v1/public/agreements/{agreement}", EVERYONE, NOBODY),
    "api_public_units": ("/api/v1/public/units", EVERYONE, None),
    "api_public_unit": ("/api/v1/public/units/{unit}", EVERYONE, NOBODY),
    "openapi-json": ("/api/v1/openapi.json", EVERYONE, None),
    "openapi-view": ("/api/v1/docs/", EVERYONE, None),
    "api-root": ("/api/v1/", NOBODY, None),  # django-ninja's root: 404, it names the API's base path
}
# Endpoints that need no token: a refusal there is 404 for everyone, as on the public pages.
OPEN = {name for name in TABLE if name.startswith(("api_public", "openapi", "api-root"))}
# The scorecard of the whole scope (no subtree): anyone with a role, or a report of the year to read.
EXTRA = [("api_scorecard", "/api/v1/scorecards?year=2570&round=12", SCORECARD_READERS)]


def api_url_names() -> set[str]:
    from kpi_agreements.api.api import api

    patterns, _app, _namespace = api.urls
    return {p.name for p in patterns if p.name}


def test_every_api_endpoint_has_a_row():
    assert api_url_names() == set(TABLE)


@pytest.fixture
def walk_world(public_world):
    """Public world plus bureau C in the other department: a signed agreement with its 12-month report, whose
    head chairs the other department's committee."""
    from kpi_agreements.agreements.services import drafting
    from kpi_agreements.organisation import services as org_services
    from kpi_agreements.organisation.models import Role, RoleAssignment, Unit
    from kpi_agreements.reporting.models import Round, RoundReport
    from kpi_agreements.reporting.services.rounds import reports_build
    from tests.test_public_world import _sign_all

    w = public_world
    bureau_c = org_services.unit_create(
        parent=w.org.other_dept, name_th="สำนักซี", abbreviation="สซ.", unit_type=w.org.bureau_a.unit_type
    )
    head_c = make_person("head_c")
    RoleAssignment.objects.create(person=head_c, unit=bureau_c, role=Role.UNIT_HEAD)
    Unit.objects.filter(pk=bureau_c.pk).update(head=head_c)
    c = drafting.agreements_create(fiscal_year=w.org.year, units=[bureau_c])[0]
    for d in w.dims:
        add_kpi(c, d, d.weight, f"ตัวชี้วัดซี {d.order}")
    c = _sign_all(c)
    round12 = Round.objects.get(fiscal_year=w.org.year, months=12)
    reports_build(round12)
    people = {name: getattr(w.org, name) for name in PERSONAS if name != ANON}
    objects = {
        "inside": {"unit": w.org.bureau_a.pk, "agreement": w.published.pk, "report": w.report.pk},
        "outside": {
            "unit": bureau_c.pk,
            "agreement": c.pk,
            "report": RoundReport.objects.get(round=round12, agreement=c).pk,
        },
    }
    return people, objects


def _client(persona, people) -> Client:
    if persona == ANON:
        return Client()
    _token, secret = services.token_create(person=people[persona], name="walk")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_each_endpoint_answers_exactly_the_people_of_its_row(walk_world, settings):
    settings.API_RATE_PER_MINUTE = 10_000
    cache.clear()
    people, objects = walk_world
    wrong = []
    for persona in PERSONAS:
        client = _client(persona, people)
        cells = [
            (name, place, path.format(**objects[place]), inside if place == "inside" else outside)
            for name, (path, inside, outside) in TABLE.items()
            for place in ("inside", "outside")
            if place == "inside" or outside is not None
        ]
        cells += [(name, "whole scope", path, allowed) for name, path, allowed in EXTRA]
        for name, place, url, allowed in cells:
            response = client.get(url)
            expected = 200 if persona in allowed else (401 if persona == ANON and name not in OPEN else 404)
            if response.status_code != expected:
                wrong.append(f"{persona}: GET {name} ({place}) {response.status_code}, expected {expected}")
            if client.post(url).status_code not in (401, 404, 405):
                wrong.append(f"{persona}: POST {name} ({place}) is served")
    assert wrong == [], "\n".join(wrong)


def test_each_list_holds_what_the_persons_access_helper_gives(walk_world, settings):
    from kpi_agreements.agreements.access import agreements_visible_to
    from kpi_agreements.organisation.access import scope_of
    from kpi_agreements.reporting.access import reports_visible_to

    settings.API_RATE_PER_MINUTE = 10_000
    people, _objects = walk_world
    for persona, person in people.items():
        client = _client(persona, people)

        def ids(url, client=client):
            return {row["id"] for row in client.get(url + "?page_size=200").json()["items"]}

        assert ids("/api/v1/agreements") == set(agreements_visible_to(person).values_list("pk", flat=True))
        assert ids("/api/v1/reports") == set(reports_visible_to(person).values_list("pk", flat=True))
        assert ids("/api/v1/units") == set(scope_of(person).units().values_list("pk", flat=True))
