"""Personas for every role (STYLE.md) on a small tree, and the real browser."""

import os
from dataclasses import dataclass

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "persona-pass-2570"


@pytest.fixture(autouse=True, scope="session")
def _tasks_in_process():
    """Tasks run in-process in tests; the worker test switches to the real broker itself."""
    from kpi_agreements.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing strength is not under test; PBKDF2 would make every persona cost a third of a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Org:
    ministry: object
    dept: object
    other_dept: object
    bureau_a: object
    bureau_b: object
    admin: object
    planner: object
    head_a: object
    head_b: object
    executive: object
    member: object
    outsider: object
    year: object
    committee: object
    # Added with issue 9; defaults keep any Org built by hand valid.
    director: object = None
    supervisor: object = None
    collector: object = None
    sub_admin: object = None
    member_next: object = None
    next_committee: object = None


def make_person(username, **extra):
    from kpi_agreements.organisation.models import Person

    person = Person(
        username=username,
        first_name=username.title(),
        last_name="Persona",
        email=f"{username}@example.go.th",
        **extra,
    )
    person.set_password(PASSWORD)
    person.save()
    return person


@pytest.fixture(autouse=True)
def _thai_first_in_every_test():
    """A test that switches the language (English pages, e-mails) must not leave it for the next one."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def org(db):
    """Every role once. The executive reads the whole ministry and heads nothing: the department's head is the
    director, so a test that passes because the executive also holds a unit's role cannot slip through. The
    KPI supervisor and data collector work in bureau B, beside bureau A; member_next sits on FY 2571's
    committee for bureaus A and B, so his seat gives him nothing of FY 2570."""
    from kpi_agreements.fiscal.services import fiscal_year_create
    from kpi_agreements.organisation import services
    from kpi_agreements.organisation.models import (
        Committee,
        CommitteeMember,
        Role,
        RoleAssignment,
        Unit,
        UnitType,
    )

    t = {
        c: UnitType.objects.create(code=c, name_th=th)
        for c, th in [("ministry", "กระทรวง"), ("department", "กรม"), ("bureau", "สำนัก")]
    }
    ministry = services.unit_create(
        parent=None, name_th="กระทรวงทดสอบ", abbreviation="กท.", unit_type=t["ministry"]
    )
    dept = services.unit_create(
        parent=ministry, name_th="กรมหนึ่ง", abbreviation="ก1.", unit_type=t["department"]
    )
    other = services.unit_create(
        parent=ministry, name_th="กรมสอง", abbreviation="ก2.", unit_type=t["department"]
    )
    a = services.unit_create(parent=dept, name_th="สำนักเอ", abbreviation="สอ.", unit_type=t["bureau"])
    b = services.unit_create(parent=dept, name_th="สำนักบี", abbreviation="สบ.", unit_type=t["bureau"])
    people = {}
    for username, role, unit in [
        ("admin", Role.ADMIN, ministry),
        ("planner", Role.PLANNING, dept),
        ("head_a", Role.UNIT_HEAD, a),
        ("head_b", Role.UNIT_HEAD, b),
        ("executive", Role.EXECUTIVE, ministry),
        ("member", None, None),
        ("outsider", None, None),
        ("director", Role.UNIT_HEAD, dept),
        ("supervisor", Role.KPI_SUPERVISOR, b),
        ("collector", Role.DATA_COLLECTOR, b),
        ("sub_admin", Role.ADMIN, dept),
        ("member_next", None, None),
    ]:
        people[username] = make_person(username)
        if role:
            RoleAssignment.objects.create(person=people[username], unit=unit, role=role)
    dept = services.unit_update(unit=Unit.objects.get(pk=dept.pk), head=people["director"])
    year = fiscal_year_create(be_year=2570, make_current=True)
    committee = Committee.objects.create(
        name="คณะกรรมการเจรจา ก1.", kind="negotiation", fiscal_year=year, unit=dept
    )
    committee.units_covered.set([a, b])
    CommitteeMember.objects.create(committee=committee, person=people["member"], position="chair")
    next_committee = Committee.objects.create(
        name="คณะกรรมการเจรจา ก1. ปี 2571",
        kind="negotiation",
        fiscal_year=fiscal_year_create(be_year=2571),
        unit=dept,
    )
    next_committee.units_covered.set([a, b])
    CommitteeMember.objects.create(committee=next_committee, person=people["member_next"], position="member")
    return Org(
        ministry, dept, other, a, b, year=year, committee=committee, next_committee=next_committee, **people
    )


@pytest.fixture
def client_for(client):
    def login(person):
        client.force_login(person)
        return client

    return login


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="th-TH", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def dims(org):
    """The FY2552 framework shape of DOMAIN §4: four dimensions weighing 45/15/20/20."""
    from decimal import Decimal

    from kpi_agreements.agreements.models import Dimension

    spec = [(1, "ประสิทธิผล", 45), (2, "คุณภาพการให้บริการ", 15), (3, "ประสิทธิภาพ", 20), (4, "การพัฒนาองค์กร", 20)]
    return [
        Dimension.objects.create(fiscal_year=org.year, order=o, name_th=n, weight=Decimal(w))
        for o, n, w in spec
    ]


@pytest.fixture
def agreement(org, dims):
    """A draft for bureau A, whose head pledges to the department's head, the director."""
    from kpi_agreements.agreements.services import drafting
    from kpi_agreements.organisation.models import Unit

    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    org.bureau_a.refresh_from_db()
    return drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_a])[0]


@pytest.fixture
def report(org, dims, agreement):
    """Bureau A's signed agreement (one quantitative KPI per dimension, weights 45/15/20/20, supervised and
    collected by bureau B's supervisor and collector) and its 6-month report, the round open."""
    from tests.factories import add_kpi, open_report, sign

    for d in dims:
        add_kpi(
            agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.supervisor, collector=org.collector
        )
    return open_report(sign(agreement), 6)
