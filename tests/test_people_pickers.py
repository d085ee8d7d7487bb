"""Issue 8.7: pickers offer the agreement's or committee's people only, searched by name, never phones."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from kpi_agreements.agreements.models import KPI, Party
from kpi_agreements.organisation import services as org_services
from kpi_agreements.organisation.models import CommitteeMember, Person, RoleAssignment
from kpi_agreements.organisation.pickers import PersonPickerField
from tests.conftest import PASSWORD, make_person
from tests.factories import add_kpi
from tests.test_agreement_editor import CRITERIA_POST, kpi_post
from tests.test_browser_foundation import log_in
from tests.test_excel import upload  # noqa: F401  (the upload fixture: the import runs as a job)

PHONE = "081-555-0199"


@pytest.fixture
def crowd(org):
    """One สมชาย on each side of bureau A's path, and one where bureau A has no business."""
    section = org_services.unit_create(
        parent=org.bureau_a, name_th="กลุ่มงานย่อย", abbreviation="กย.", unit_type=org.bureau_a.unit_type
    )
    people = {}
    for key, unit, role in [
        ("below", section, "data_collector"),
        ("above", org.ministry, "planning"),
        ("sibling", org.bureau_b, "kpi_supervisor"),
        ("elsewhere", org.other_dept, "kpi_supervisor"),
    ]:
        people[key] = make_person(f"somchai_{key}", mobile=PHONE, position=f"นักวิเคราะห์ {key}")
        people[key].first_name = "สมชาย"
        people[key].save()
        RoleAssignment.objects.create(person=people[key], unit=unit, role=role)
    Person.objects.filter(pk__in=[org.head_a.pk, org.planner.pk, org.executive.pk]).update(mobile=PHONE)
    return people


def search(client, kind, obj, q):
    return client.get(reverse("person_search"), {"for": kind, "obj": obj, "q": q})


def add_other_dept_people(org, count):
    people = Person.objects.bulk_create(
        Person(username=f"far{i}", first_name="ไกล", last_name=str(i), mobile=PHONE) for i in range(count)
    )
    RoleAssignment.objects.bulk_create(
        RoleAssignment(person=p, unit=org.other_dept, role="data_collector") for p in people
    )


@pytest.mark.parametrize("persona", ["head_b", "outsider", "executive", "member"])
def test_people_who_cannot_edit_the_agreement_get_404_from_its_search(agreement, org, client_for, persona):
    response = search(client_for(getattr(org, persona)), "agreement", agreement.pk, "a")
    assert response.status_code == 404


def test_the_search_needs_a_known_kind_and_a_whole_number(agreement, org, client_for):
    client = client_for(org.head_a)
    assert search(client, "everyone", agreement.pk, "a").status_code == 404
    assert search(client, "agreement", "abc", "a").status_code == 404
    assert search(client, "agreement", "9" * 40, "a").status_code == 404
    assert client.get(reverse("person_search")).status_code == 404


def test_bureau_as_search_finds_its_subtree_and_the_units_above_but_not_other_branches(
    agreement, org, crowd, client_for
):
    html = search(client_for(org.head_a), "agreement", agreement.pk, "สมชาย").content.decode()
    assert "นักวิเคราะห์ below" in html and "นักวิเคราะห์ above" in html
    assert "sibling" not in html and "elsewhere" not in html
    assert PHONE not in html and "@example.go.th" not in html


def test_the_search_matches_every_word_and_the_username(agreement, org, crowd, client_for):
    client = client_for(org.head_a)
    assert "นักวิเคราะห์ above" in search(client, "agreement", agreement.pk, "somchai_ab").content.decode()
    both = search(client, "agreement", agreement.pk, "สมชาย persona").content.decode()
    assert both.count("data-person-pk") == 2
    assert search(client, "agreement", agreement.pk, "").content.decode().strip() == ""


def test_the_search_lists_at_most_20_and_says_there_are_more(agreement, org, client_for):
    for i in range(25):
        RoleAssignment.objects.create(
            person=make_person(f"many{i}"), unit=org.bureau_a, role="data_collector"
        )
    html = search(client_for(org.head_a), "agreement", agreement.pk, "many").content.decode()
    assert html.count("data-person-pk") == 20 and 'data-testid="more"' in html


def test_no_phone_or_email_on_the_kpi_form_or_the_parties_page(agreement, dims, org, crowd, client_for):
    kpi = add_kpi(agreement, dims[0], "10", supervisor=crowd["below"], collector=org.head_a)
    client = client_for(org.head_a)
    for url in [
        reverse("kpi_create", args=[agreement.pk]),
        reverse("kpi_edit", args=[kpi.pk]),
        reverse("agreement_parties_edit", args=[agreement.pk]),
    ]:
        html = client.get(url).content.decode()
        assert PHONE not in html and "@example.go.th" not in html, url
        assert "สมชาย" in html and "sibling" not in html and "elsewhere" not in html, url


def test_a_forged_supervisor_outside_the_scope_is_refused_at_the_field_and_nothing_changes(
    agreement, dims, org, crowd, client_for
):
    kpi = add_kpi(agreement, dims[0], "10", name="เดิม", supervisor=org.head_a)
    client = client_for(org.head_a)
    data = kpi_post(dims[0], name="ใหม่", supervisor=crowd["elsewhere"].pk, **CRITERIA_POST["quantitative"])
    response = client.post(reverse("kpi_edit", args=[kpi.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    with translation.override("th"):
        refusal = str(PersonPickerField.default_error_messages["invalid_choice"])
    assert errors == {"supervisor": [refusal]} and refusal in response.content.decode()
    assert "elsewhere" not in response.content.decode()  # the refused person is not echoed back either
    kpi.refresh_from_db()
    assert (kpi.name, kpi.supervisor) == ("เดิม", org.head_a)

    response = client.post(
        reverse("kpi_create", args=[agreement.pk]), dict(data, collector=crowd["sibling"].pk)
    )
    assert set(response.context["form"].errors) == {"supervisor", "collector"}
    assert not KPI.objects.filter(name="ใหม่").exists()


def test_a_forged_party_outside_the_scope_is_refused_and_nothing_changes(agreement, org, crowd, client_for):
    before = list(agreement.parties.values_list("pk", "role", "person_id", "position"))
    parties = list(agreement.parties.all())
    data = {
        "parties-TOTAL_FORMS": str(len(parties) + 1),
        "parties-INITIAL_FORMS": str(len(parties)),
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "1000",
    }
    for i, p in enumerate(parties):
        data.update(
            {f"parties-{i}-id": p.pk, f"parties-{i}-role": p.role, f"parties-{i}-person": p.person_id or ""}
        )
        data[f"parties-{i}-position"] = p.position
    n = len(parties)
    data.update({f"parties-{n}-role": "co_signer", f"parties-{n}-person": crowd["elsewhere"].pk})
    data[f"parties-{n}-position"] = "ผู้ลงนามร่วม"
    response = client_for(org.head_a).post(reverse("agreement_parties_edit", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert "person" in response.context["formset"].forms[n].errors
    assert (
        list(Party.objects.filter(agreement=agreement).values_list("pk", "role", "person_id", "position"))
        == before
    )


def test_a_person_already_named_stays_valid_after_moving_elsewhere(agreement, dims, org, crowd, client_for):
    # The demo and earlier drafts name supervisors from sibling divisions; an unrelated edit keeps them.
    kpi = add_kpi(agreement, dims[0], "10", supervisor=crowd["sibling"])
    data = kpi_post(dims[0], name="แก้ชื่อ", supervisor=crowd["sibling"].pk, **CRITERIA_POST["quantitative"])
    assert client_for(org.head_a).post(reverse("kpi_edit", args=[kpi.pk]), data).status_code == 302
    kpi.refresh_from_db()
    assert (kpi.name, kpi.supervisor) == ("แก้ชื่อ", crowd["sibling"])


def test_a_named_supervisor_sees_the_people_but_no_search(agreement, dims, org, crowd, client_for):
    kpi = add_kpi(agreement, dims[0], "10", supervisor=crowd["below"])
    html = client_for(crowd["below"]).get(reverse("kpi_edit", args=[kpi.pk])).content.decode()
    picker = html.split('data-testid="picker-supervisor"')[1].split('data-testid="picker-collector"')[0]
    assert "นักวิเคราะห์ below" in picker and "disabled" in picker
    assert "hx-get" not in picker and "<option" not in picker


def test_the_kpi_form_does_not_grow_with_people_elsewhere(agreement, org, client_for):
    client = client_for(org.head_a)
    url = reverse("kpi_create", args=[agreement.pk])

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url).content.decode()
        return (
            html.count("<option"),
            len(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)),
            len(ctx),
        )

    small = measure()
    add_other_dept_people(org, 300)
    assert measure() == small


def test_without_javascript_the_fallback_lists_at_most_50_people(agreement, org, client_for):
    people = Person.objects.bulk_create(Person(username=f"near{i}", first_name="ใกล้") for i in range(80))
    RoleAssignment.objects.bulk_create(
        RoleAssignment(person=p, unit=org.bureau_a, role="data_collector") for p in people
    )
    html = client_for(org.head_a).get(reverse("kpi_create", args=[agreement.pk])).content.decode()
    picker = html.split('data-testid="picker-supervisor"')[1].split('data-testid="picker-collector"')[0]
    assert picker.count("<option") == 51  # nobody, and the first 50


def test_committee_search_offers_what_the_manager_sees_and_the_units_above(org, crowd, client_for):
    client = client_for(org.planner)  # planning staff of the department that convenes the committee
    html = search(client, "committee", org.committee.pk, "สมชาย").content.decode()
    assert "นักวิเคราะห์ below" in html and "นักวิเคราะห์ above" in html and "sibling" in html
    assert "elsewhere" not in html and PHONE not in html
    assert search(client_for(org.head_a), "committee", org.committee.pk, "สมชาย").status_code == 404


def test_a_forged_committee_member_is_refused_at_the_field(org, crowd, client_for):
    response = client_for(org.planner).post(
        reverse("committee_member_add", args=[org.committee.pk]),
        {"person": crowd["elsewhere"].pk, "position": "member"},
    )
    assert response.status_code == 400 and "person" in response.context["member_form"].errors
    assert not CommitteeMember.objects.filter(person=crowd["elsewhere"]).exists()


def test_an_excel_workbook_names_only_the_pickers_people(org, crowd, client_for, upload):  # noqa: F811
    from tests.test_excel import download, errors_of, make_agreement, make_dimensions, snapshot, to_bytes

    # The collector, from a sibling bureau, was named before: a round trip through Excel keeps them.
    agreement = make_agreement(
        org.bureau_a, org.year, make_dimensions(org.year), (org.head_a, crowd["sibling"])
    )
    client = client_for(org.head_a)
    wb = download(client, agreement)
    wb["ตัวชี้วัด"]["R2"].value = "somchai_elsewhere"
    before = snapshot()
    _response, job = upload(client, agreement, to_bytes(wb))
    assert [e[:3] for e in errors_of(job)] == [("ตัวชี้วัด", 2, "R")]
    assert snapshot() == before

    wb["ตัวชี้วัด"]["R2"].value = "somchai_below"
    _response, job = upload(client, agreement, to_bytes(wb))
    assert not job.outcome.get("errors")
    assert set(agreement.kpis.values_list("supervisor", "collector")) >= {
        (crowd["below"].pk, crowd["sibling"].pk)
    }


@pytest.mark.browser
def test_the_head_searches_picks_and_saves_a_supervisor(agreement, dims, org, crowd, page):
    kpi = add_kpi(agreement, dims[0], "10", name="ตัวชี้วัดทดลอง")
    problems = []
    page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, "head_a", PASSWORD)
    page.wait_for_selector("[data-testid=current-user]")
    page.goto(f"/kpis/{kpi.pk}/edit/")
    pick_person(page, "supervisor", "สมชา", "นักวิเคราะห์ below")
    assert "นักวิเคราะห์ below" in page.inner_text("[data-testid=picker-supervisor] .person-picker-chosen")
    assert page.locator("[data-testid=picker-supervisor] .person-picker-results button").count() == 0
    page.click("#kpi-form button[type=submit]")
    page.wait_for_selector("h1:has-text('ตัวชี้วัดทดลอง')")
    assert "สมชาย" in page.inner_text("main")
    assert KPI.objects.get(pk=kpi.pk).supervisor == crowd["below"]
    assert problems == []


@pytest.mark.browser
def test_without_javascript_the_head_chooses_from_the_short_list(
    agreement, dims, org, crowd, browser, live_server
):
    kpi = add_kpi(agreement, dims[0], "10", name="ตัวชี้วัดไม่ใช้สคริปต์", supervisor=org.head_a)
    context = browser.new_context(locale="th-TH", base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, "head_a", PASSWORD)
        page.goto(f"/kpis/{kpi.pk}/edit/")
        assert not page.is_visible("[data-testid=picker-supervisor] input[type=search]")
        page.select_option("[data-testid=picker-supervisor] select", str(crowd["below"].pk))
        page.click("#kpi-form button[type=submit]")
        page.wait_for_selector("h1:has-text('ตัวชี้วัดไม่ใช้สคริปต์')")
    finally:
        context.close()
    assert KPI.objects.get(pk=kpi.pk).supervisor == crowd["below"]


def pick_person(page, field, typed, choice):
    """Type into a person picker and click the match that contains ``choice``."""
    page.fill(f"[data-testid=picker-{field}] input[type=search]", typed)
    page.click(f"[data-testid=picker-{field}] .person-picker-results button:has-text('{choice}')")
