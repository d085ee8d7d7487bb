"""Every named URL × every persona × GET and POST, inside and outside the persona's scope (issue 8).

One table says who may reach each URL on the objects of bureau A (inside the department); the same people
minus anyone whose roles stop at the department reach the objects of bureau C (in the other department).
Everyone else is refused: 404 (302 to the login page for anonymous visitors), and a refused request writes
nothing to the database. A URL without a row fails the test, so a new view cannot ship unchecked.

Allowed cells only prove that the capability check lets the person through (any answer but a refusal or a
500); what the view then does is tested in its own file. Each request runs in a savepoint that is rolled back,
so the cells do not disturb each other.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse

from tests.conftest import make_person
from tests.factories import add_kpi

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
# Roles that reach the other department's bureau C as well as bureau A.
WHOLE_TREE = {ADMIN, EXECUTIVE}

EVERYONE = set(PERSONAS)
NOBODY: set[str] = set()
SIGNED_IN = EVERYONE - {ANON}
READERS = {ADMIN, SUB_ADMIN, PLANNER, DIRECTOR, HEAD_A, SUPERVISOR, COLLECTOR, MEMBER, EXECUTIVE}
EDITORS = {ADMIN, SUB_ADMIN, PLANNER, DIRECTOR, HEAD_A}
TEMPLATE_EDITORS = EDITORS | {SUPERVISOR, COLLECTOR}
DECIDERS = {MEMBER}
PARTIES = {HEAD_A, DIRECTOR}
MANAGERS = {ADMIN, SUB_ADMIN, PLANNER}
ADMINS = {ADMIN, SUB_ADMIN}
ROOT_MANAGERS = {ADMIN}
UNIT_READERS = {ADMIN, SUB_ADMIN, PLANNER, DIRECTOR, HEAD_A, EXECUTIVE}
COMMITTEE_READERS = {
    ADMIN,
    SUB_ADMIN,
    PLANNER,
    DIRECTOR,
    HEAD_A,
    HEAD_B,
    SUPERVISOR,
    COLLECTOR,
    MEMBER,
    EXECUTIVE,
}
# The person page of head A: everyone whose roles cover bureau A, and head A himself.
PERSON_READERS = {ADMIN, SUB_ADMIN, PLANNER, DIRECTOR, HEAD_A, EXECUTIVE}

# url name -> (the objects it takes, who may GET, who may POST). ``None``: the method is not served.
TABLE = {
    # Public pages and the account pages.
    "health": ((), EVERYONE, None),
    "set_language": ((), None, EVERYONE),
    "login": ((), EVERYONE, EVERYONE),
    "logout": ((), None, EVERYONE),
    "password_reset": ((), EVERYONE, EVERYONE),
    "password_reset_done": ((), EVERYONE, None),
    "password_reset_confirm": (("uidb64", "token"), EVERYONE, EVERYONE),
    "password_reset_complete": ((), EVERYONE, None),
    "invitation_accept": (("token",), EVERYONE, EVERYONE),
    # Signed-in pages without an object: each lists only what the user may see.
    "home": ((), SIGNED_IN, None),
    "calculator": ((), SIGNED_IN, SIGNED_IN),
    "notices": ((), SIGNED_IN, SIGNED_IN),
    "agreements_home": ((), SIGNED_IN, None),
    "committee_queue": ((), SIGNED_IN, None),
    "unit_tree": ((), SIGNED_IN, None),
    "person_list": ((), SIGNED_IN, None),
    "committee_list": ((), SIGNED_IN, None),
    "year_list": ((), SIGNED_IN, None),
    "signing_rules": ((), SIGNED_IN, ROOT_MANAGERS),
    "unit_create": ((), MANAGERS, MANAGERS),
    "person_create": ((), ADMINS, ADMINS),
    "committee_create": ((), MANAGERS, MANAGERS),
    "year_create": ((), ROOT_MANAGERS, ROOT_MANAGERS),
    # Agreements.
    "agreement_detail": (("agreement",), READERS, None),
    "agreement_plan_edit": (("agreement",), EDITORS, EDITORS),
    "agreement_parties_edit": (("agreement",), EDITORS, EDITORS),
    "kpi_create": (("agreement",), EDITORS, EDITORS),
    "agreement_submit": (("agreement",), None, EDITORS),
    "agreement_revision": (("agreement",), None, DECIDERS),
    "agreement_approve": (("agreement",), DECIDERS, DECIDERS),
    "agreement_sign": (("agreement", "party"), None, PARTIES),
    "change_create": (("agreement",), EDITORS, EDITORS),
    "agreement_versions": (("agreement",), READERS, None),
    "agreement_version": (("agreement", "number"), READERS, None),
    "agreement_excel_download": (("agreement",), READERS, None),
    "agreement_excel_upload": (("agreement",), EDITORS, EDITORS),
    "agreement_documents": (("agreement",), READERS, READERS),
    "agreement_document_download": (("document",), READERS, None),
    "agreement_document_again": (("document",), None, READERS),
    # KPIs and negotiation.
    "kpi_detail": (("kpi",), READERS, None),
    "kpi_edit": (("kpi",), TEMPLATE_EDITORS, TEMPLATE_EDITORS),
    "kpi_move": (("kpi",), None, EDITORS),
    "kpi_weight": (("kpi",), None, EDITORS),
    "kpi_delete": (("kpi",), None, EDITORS),
    "kpi_comment_add": (("kpi",), None, DECIDERS),
    "proposal_add": (("kpi",), DECIDERS, DECIDERS),
    "proposal_decide": (("proposal",), None, EDITORS),
    # Change requests.
    "change_detail": (("change",), READERS, None),
    "change_item_add": (("change",), None, EDITORS),
    "change_item_remove": (("change", "item"), None, EDITORS),
    "change_evidence_add": (("change",), None, EDITORS),
    "change_evidence_download": (("change", "evidence"), READERS, None),
    "change_submit": (("change",), None, EDITORS),
    "change_decide": (("change",), None, DECIDERS),
    # The fiscal year: read by everyone signed in, set up by managers of a whole organisation.
    "year_detail": (("year",), SIGNED_IN, None),
    "milestones_edit": (("year",), ROOT_MANAGERS, ROOT_MANAGERS),
    "scoring_policy_edit": (("year",), ROOT_MANAGERS, ROOT_MANAGERS),
    "calendar_day_add": (("year",), None, ROOT_MANAGERS),
    "calendar_day_remove": (("year", "day"), None, ROOT_MANAGERS),
    "cascade_map": (("year",), SIGNED_IN, None),
    "framework_detail": (("year",), SIGNED_IN, None),
    "framework_dimensions": (("year",), None, ROOT_MANAGERS),
    "framework_copy": (("year",), None, ROOT_MANAGERS),
    "mandatory_kpi_create": (("year",), ROOT_MANAGERS, ROOT_MANAGERS),
    "mandatory_kpi_edit": (("year", "mandatory"), SIGNED_IN, ROOT_MANAGERS),
    "mandatory_kpi_delete": (("year", "mandatory"), None, ROOT_MANAGERS),
    "redistribution_rule_add": (("year",), None, ROOT_MANAGERS),
    "redistribution_rule_remove": (("year", "rule"), None, ROOT_MANAGERS),
    "year_agreements": (("year",), SIGNED_IN, None),
    "year_agreements_create": (("year",), None, MANAGERS),
    "year_agreement_copy": (("year",), None, MANAGERS),
    # GET leads to the year's agreements page; POST asks for the workbook's job.
    "year_excel_export": (
        ("year",),
        {ADMIN, SUB_ADMIN, PLANNER, EXECUTIVE},
        {ADMIN, SUB_ADMIN, PLANNER, EXECUTIVE},
    ),
    # Organisation.
    "unit_detail": (("unit",), UNIT_READERS, None),
    "unit_edit": (("unit",), MANAGERS, MANAGERS),
    "unit_move": (("unit",), MANAGERS, MANAGERS),
    "unit_set_active": (("unit",), None, MANAGERS),
    "person_detail": (("person",), PERSON_READERS, None),
    "person_edit": (("person",), ADMINS, ADMINS),
    "person_role_add": (("person",), None, ADMINS),
    "person_role_remove": (("person", "role"), None, ADMINS),
    "person_reinvite": (("person",), None, ADMINS),
    "person_search": (("search",), EDITORS, None),
    "committee_detail": (("committee",), COMMITTEE_READERS, None),
    "committee_edit": (("committee",), MANAGERS, MANAGERS),
    "committee_member_add": (("committee",), None, MANAGERS),
    "committee_member_remove": (("committee", "member"), None, MANAGERS),
    "committee_resolution_add": (("committee",), None, MANAGERS),
    # Reporting rounds (bureau A's 6-month report, being entered; the round is year-wide).
    "year_rounds": (("year",), SIGNED_IN, ROOT_MANAGERS),
    "round_open": (("round",), None, ROOT_MANAGERS),
    "round_overview": (("round",), SIGNED_IN, None),
    "round_flags": (("round",), SIGNED_IN, None),
    "round_workbook": (("round",), SIGNED_IN, SIGNED_IN),
    "round_import": (("round",), TEMPLATE_EDITORS, TEMPLATE_EDITORS),
    "verify_queue": ((), SIGNED_IN, None),
    "my_reports": ((), SIGNED_IN, None),
    "report_detail": (("report",), READERS, None),
    "report_documents": (("report",), READERS, READERS),
    "report_submit": (("report",), None, {HEAD_A}),
    "report_resubmit": (("report",), None, {HEAD_A}),
    "report_send_back": (("report",), DECIDERS, DECIDERS),
    "report_verify": (("report",), None, DECIDERS),
    "item_enter": (("ritem",), TEMPLATE_EDITORS, TEMPLATE_EDITORS),
    "item_verify": (("ritem",), DECIDERS, DECIDERS),
    "item_evidence_add": (("ritem",), None, TEMPLATE_EDITORS),
    "item_evidence_remove": (("ritem", "revidence"), None, TEMPLATE_EDITORS),
    "evidence_download": (("revidence",), READERS, None),
    # Background jobs: a job about a report is read by the report's readers.
    "job_detail": (("job",), READERS, None),
    "job_download": (("job",), READERS, None),
    "job_again": (("job",), None, READERS),
    # Scorecards: a round is read by anyone with a role or a report of that year to read; units, dimensions
    # and KPIs below it by the readers of the unit's report.
    "scorecard_home": ((), SIGNED_IN, None),
    "scorecard": (("round",), SIGNED_IN - {MEMBER_NEXT, OUTSIDER}, None),
    "scorecard_dashboard": (("round",), SIGNED_IN - {MEMBER_NEXT, OUTSIDER}, None),
    "scorecard_export": (("round",), None, SIGNED_IN - {MEMBER_NEXT, OUTSIDER}),
    "scorecard_unit": (("round", "unit"), READERS, None),
    "scorecard_dimension": (("round", "unit", "ritem"), READERS, None),
    "scorecard_kpi": (("ritem",), READERS, None),
    "scorecard_kpi_years": (("ritem",), READERS, None),
    "scorecard_unit_years": (("unit",), READERS, None),
    "incentive_tiers": (("year",), SIGNED_IN, ROOT_MANAGERS),
    # Public disclosure: nothing is published here, so a year, unit or agreement page is refused to all.
    "public_home": ((), EVERYONE, None),
    "public_units": ((), EVERYONE, None),
    "public_language": (("code",), EVERYONE, None),
    "robots_txt": ((), EVERYONE, None),
    "public_year": (("be_year",), NOBODY, None),
    "public_results": (("be_year",), NOBODY, None),
    "public_agreement": (("be_year", "unit"), NOBODY, None),
    "public_agreement_pdf": (("be_year", "unit"), NOBODY, None),
    "public_unit": (("unit",), NOBODY, None),
    "publication_home": ((), MANAGERS, None),
    "publication_year": (("year",), MANAGERS, ROOT_MANAGERS),
    "publication_unit": (("year", "unit"), None, MANAGERS),
    "publication_all": (("year",), None, MANAGERS),
    # The read-only API (the browser session works as a token does): what each person reads in the browser.
    "api_tokens": ((), SIGNED_IN, SIGNED_IN),
    "api_token_revoke": (("apitoken",), None, {HEAD_A}),
    "openapi-json": ((), EVERYONE, None),
    "openapi-view": ((), EVERYONE, None),
    "api-root": ((), NOBODY, None),
    "api_units": ((), SIGNED_IN, None),
    "api_years": ((), SIGNED_IN, None),
    "api_agreements": ((), SIGNED_IN, None),
    "api_reports": ((), SIGNED_IN, None),
    "api_scorecard": ((), SIGNED_IN, None),
    "api_unit": (("unit",), UNIT_READERS, None),
    "api_year": (("be_year",), SIGNED_IN, None),
    "api_framework": (("be_year",), SIGNED_IN, None),
    "api_agreement": (("agreement",), READERS, None),
    "api_report": (("report",), READERS, None),
    "api_report_cards": (("report",), READERS, None),
    "api_public_years": ((), EVERYONE, None),
    "api_public_agreements": ((), EVERYONE, None),
    "api_public_units": ((), EVERYONE, None),
    "api_public_year": (("be_year",), NOBODY, None),
    "api_public_results": (("be_year",), NOBODY, None),
    "api_public_agreement": (("agreement",), NOBODY, None),
    "api_public_unit": (("unit",), NOBODY, None),
    # Reminders: the year's policy is set, and the daily run watched, from the top of an organisation.
    "reminder_policy": (("year",), SIGNED_IN, ROOT_MANAGERS),
    "reminder_runs": ((), ROOT_MANAGERS, None),
    "reminder_run_again": ((), None, ROOT_MANAGERS),
}


# Objects that belong to a unit: the same URL on bureau C's object is outside most personas' scope.
SCOPED = {
    "agreement",
    "kpi",
    "proposal",
    "change",
    "document",
    "unit",
    "person",
    "committee",
    "search",
    "report",
    "ritem",
    "revidence",
    "job",
}


def named_urls():
    """Every named URL of the project, the Django admin aside (it has its own permission system)."""

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.app_name != "admin":
                    yield from walk(p.url_patterns)
            elif p.name:
                yield p.name

    return set(walk(get_resolver().url_patterns))


def test_every_named_url_has_a_row():
    assert named_urls() - set(TABLE) == set(), "add these URLs to TABLE"
    assert set(TABLE) - named_urls() == set(), "these rows name URLs that no longer exist"


@pytest.fixture
def world(org, dims):
    """Bureau A's draft agreement (inside) and bureau C's (in the other department), with everything a
    URL can point at."""
    from django.contrib.auth.tokens import default_token_generator
    from django.core.files.base import ContentFile
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from kpi_agreements.agreements.models import (
        Agreement,
        ChangeItem,
        ChangeRequest,
        MandatoryKPI,
        Proposal,
        RedistributionRule,
    )
    from kpi_agreements.agreements.services import drafting
    from kpi_agreements.api.services import token_create
    from kpi_agreements.documents.models import AgreementDocument
    from kpi_agreements.fiscal.models import CalendarDay
    from kpi_agreements.organisation import services as org_services
    from kpi_agreements.organisation.models import (
        Committee,
        CommitteeMember,
        Role,
        RoleAssignment,
        Unit,
    )

    # Every persona but the head of bureau C comes from the base fixture (the director heads the department,
    # member_next sits on FY 2571's committee for bureaus A and B).
    people = {name: getattr(org, name) for name in PERSONAS if name != ANON}
    bureau_c = org_services.unit_create(
        parent=org.other_dept, name_th="สำนักซี", abbreviation="สซ.", unit_type=org.bureau_a.unit_type
    )
    people["head_c"] = make_person("head_c")
    RoleAssignment.objects.create(person=people["head_c"], unit=bureau_c, role=Role.UNIT_HEAD)
    Unit.objects.filter(pk=org.bureau_a.pk).update(head=people[HEAD_A])
    Unit.objects.filter(pk=bureau_c.pk).update(head=people["head_c"])
    committee_c = Committee.objects.create(
        name="คณะกรรมการ ก2.", kind="negotiation", fiscal_year=org.year, unit=org.other_dept
    )
    committee_c.units_covered.set([bureau_c])
    head_c_member = CommitteeMember.objects.create(
        committee=committee_c, person=people["head_c"], position="chair"
    )

    a, c = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_a, bureau_c])
    mandatory = MandatoryKPI.objects.create(
        fiscal_year=org.year, dimension=dims[0], code="1", name="บังคับ", weight=Decimal(10)
    )
    other_mandatory = MandatoryKPI.objects.create(
        fiscal_year=org.year, dimension=dims[0], code="2", name="บังคับ 2", weight=Decimal(10)
    )
    rule = RedistributionRule.objects.create(fiscal_year=org.year, source=mandatory, target=other_mandatory)
    day = CalendarDay.objects.create(fiscal_year=org.year, date=date(2027, 1, 5), kind="holiday", name="x")
    api_token, _raw = token_create(person=people[HEAD_A], name="walk")
    objects = {}
    for key, agreement, head, committee, member in [
        ("inside", a, people[HEAD_A], org.committee, org.committee.members.first()),
        ("outside", c, people["head_c"], committee_c, head_c_member),
    ]:
        named = {"supervisor": people[SUPERVISOR], "collector": people[COLLECTOR]} if key == "inside" else {}
        kpi = add_kpi(agreement, dims[0], 45, **named)
        proposal = Proposal.objects.create(kpi=kpi, author=people[MEMBER], weight=Decimal(40))
        change = ChangeRequest.objects.create(
            agreement=agreement,
            opened_by=head,
            window="change_window_1",
            grounds="policy",
            justification="x",
            effective_round=12,
        )
        item = ChangeItem.objects.create(change_request=change, kind="edit", kpi=kpi, name="ใหม่")
        evidence = _evidence(change, head)
        document = AgreementDocument(
            agreement=agreement, version=1, kind="draft", requested_by=head, status="ready"
        )
        document.file.save("draft.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        document.save()
        role = RoleAssignment.objects.filter(person=head).first()
        report, report_item, report_evidence, job = _report(agreement, kpi, head)
        objects[key] = {
            "agreement": agreement.pk,
            "party": agreement.parties.get(role="pledgor").pk,
            "number": 1,
            "document": document.pk,
            "kpi": kpi.pk,
            "proposal": proposal.pk,
            "change": change.pk,
            "item": item.pk,
            "evidence": evidence.pk if evidence else 0,
            "year": org.year.pk,
            "day": day.pk,
            "mandatory": mandatory.pk,
            "rule": rule.pk,
            "unit": agreement.unit_id,
            "person": head.pk,
            "role": role.pk,
            "committee": committee.pk,
            "member": member.pk,
            "uidb64": urlsafe_base64_encode(force_bytes(head.pk)),
            "token": default_token_generator.make_token(head),
            "search": None,
            "round": report.round_id,
            "be_year": org.year.be_year,
            "apitoken": api_token.pk,
            "report": report.pk,
            "ritem": report_item.pk,
            "dimension": report_item.dimension_id,
            "revidence": report_evidence.pk,
            "job": job.pk,
        }
    Agreement.objects.filter(pk__in=[a.pk, c.pk]).update(status="draft")
    return people, objects


def _report(agreement, kpi, head):
    """The agreement's 6-month report in its open round, with one KPI's evidence and a ready card PDF."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from kpi_agreements.reporting.models import ReportEvidence, Round, RoundReport
    from kpi_agreements.reporting.services.rounds import report_sync
    from kpi_agreements.workflow.models import Job

    round = Round.objects.get(fiscal_year=agreement.fiscal_year_id, months=6)
    Round.objects.filter(pk=round.pk).update(opened_at=timezone.now())
    report = RoundReport.objects.create(round=round, agreement=agreement)
    report_sync(RoundReport.objects.select_related("round__fiscal_year", "agreement").get(pk=report.pk))
    item = report.items.get(kpi=kpi)
    evidence = ReportEvidence(item=item, name="minutes.pdf", size=40, uploaded_by=head)
    evidence.file.save(
        "minutes.pdf", ContentFile(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), save=False
    )
    evidence.save()
    job = Job(
        kind="reporting.card_pdf",
        content_type=ContentType.objects.get_for_model(RoundReport),
        object_id=report.pk,
        status=Job.Status.READY,
        requested_by=head,
        filename="card.pdf",
    )
    job.save()
    job.file.save("card.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    return report, item, evidence, job


def _evidence(change, user):
    """An evidence row, if the project keeps evidence files (the download URL is then in the table)."""
    from django.core.files.base import ContentFile

    from kpi_agreements.agreements.models import Evidence

    evidence = Evidence(change_request=change, uploaded_by=user)
    evidence.file.save(
        "evidence.pdf", ContentFile(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), save=False
    )
    names = {f.name for f in Evidence._meta.get_fields()}
    if "name" in names:
        evidence.name = "evidence.pdf"
    evidence.save()
    return evidence


API_KWARGS = {"unit": "unit_id", "agreement": "agreement_id", "report": "report_id", "be_year": "be_year"}


# The JSON API's endpoints (namespace api-v1); its token pages are ordinary views.
API_NAMES = {"api-root", "openapi-json", "openapi-view"} | {
    name for name in TABLE if name.startswith("api_") and name not in ("api_tokens", "api_token_revoke")
}


def url_for(name, params, objects):
    if name == "person_search":
        return reverse(name) + f"?for=agreement&obj={objects['agreement']}&q=Head"
    if name == "invitation_accept":
        return reverse(name, kwargs={"token": "not-a-real-token"})
    if name == "password_reset_confirm":
        return reverse(name, kwargs={"uidb64": objects["uidb64"], "token": objects["token"]})
    if name in API_NAMES:
        kwargs = {API_KWARGS[p]: objects[p] for p in params}
        return reverse(f"api-v1:{name}", kwargs=kwargs)
    if name == "public_language":
        return reverse(name, kwargs={"code": "en"})
    if name in ("public_agreement", "public_agreement_pdf"):
        return reverse(name, kwargs={"be_year": objects["be_year"], "unit_pk": objects["unit"]})
    if name == "publication_unit":
        return reverse(name, kwargs={"pk": objects["year"], "unit_pk": objects["unit"]})
    if name == "evidence_download":
        return reverse(name, kwargs={"pk": objects["revidence"]})
    if name == "scorecard_unit":
        return reverse(name, args=[objects["round"], objects["unit"]])
    if name == "scorecard_dimension":
        return reverse(name, args=[objects["round"], objects["unit"], objects["dimension"]])
    mapping = {
        "revidence": "evidence_pk",
        "party": "party_pk",
        "document": "pk",
        "proposal": "pk",
        "committee": "pk",
        "item": "item_pk",
        "evidence": "evidence_pk",
        "day": "day_pk",
        "mandatory": "mpk",
        "rule": "rpk",
        "role": "role_pk",
        "member": "member_pk",
        "apitoken": "pk",
    }
    kwargs = {}
    for p in params:
        key = mapping.get(
            p,
            "pk"
            if p
            in ("agreement", "kpi", "change", "year", "unit", "person", "round", "report", "ritem", "job")
            else p,
        )
        kwargs[key] = objects[p]
    return reverse(name, kwargs=kwargs)


WRITES = ("INSERT", "UPDATE", "DELETE")
# Bookkeeping that any request may write: the session, and django-axes' record of logins.
BOOKKEEPING = ("django_session", "axes_")


def _writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(WRITES) and not any(t in q["sql"] for t in BOOKKEEPING)
    ]


def _refused(response, name) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    # Logging out also ends on the login page; that is its success, not a refusal.
    return (
        name != "logout" and response.status_code == 302 and response["Location"].startswith(reverse("login"))
    )


def _cell(client, method, url, name):
    """One request in a savepoint that is rolled back: (refused?, status, writes)."""
    connection.queries_log.clear()  # the log keeps 9,000 queries; a full one would shift what is captured
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url, {})
        transaction.set_rollback(True)
    return _refused(response, name), response.status_code, _writes(queries.captured_queries)


def test_each_url_admits_exactly_the_people_of_its_row(world, settings):
    """One world for all personas (building it is the slow part); every wrong cell is listed at the end."""
    settings.AXES_ENABLED = False
    people, objects = world
    wrong = []
    for persona in PERSONAS:
        wrong += [f"{persona}: {line}" for line in _walk(persona, people, objects)]
    assert wrong == [], "\n".join(wrong)


def _walk(persona, people, objects) -> list[str]:
    client = Client(raise_request_exception=False)
    if persona != ANON:
        client.force_login(people[persona])
    wrong = []
    for name, (params, getters, posters) in sorted(TABLE.items()):
        places = ["inside", "outside"] if SCOPED.intersection(params) else ["inside"]
        for place in places:
            url = url_for(name, params, objects[place])
            for method, allowed in (("get", getters), ("post", posters)):
                if allowed is None:
                    continue
                expected = persona in allowed and (place == "inside" or persona in WHOLE_TREE)
                refused, status, writes = _cell(client, method, url, name)
                if name == "logout" and persona != ANON:
                    client.force_login(people[persona])
                cell = f"{method.upper()} {name} ({place})"
                if status >= 500 or status == 405:
                    wrong.append(f"{cell}: {status}")
                elif refused == expected:
                    wrong.append(f"{cell}: {'refused' if refused else 'allowed'} ({status})")
                elif refused and writes:
                    wrong.append(f"{cell}: refused but wrote {writes[:2]}")
    return wrong
