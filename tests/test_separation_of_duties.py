"""DOMAIN §5 and issue 8 defects 1–3 and 8: nobody decides on his own agreement, signs both sides, or takes
over an account; what a signed agreement points to stays as it was signed."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.urls import reverse

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.access import deciders
from kpi_agreements.agreements.addressers import address_agreement_step
from kpi_agreements.agreements.models import KPI, Agreement, ChangeRequest, Party
from kpi_agreements.agreements.services import changes, drafting, kpis, negotiation
from kpi_agreements.organisation.models import CommitteeMember, Invitation, Person, Role, RoleAssignment, Unit
from kpi_agreements.workflow.models import Transition
from tests.conftest import make_person
from tests.factories import add_kpi, fill, open_change


@pytest.fixture
def complete(agreement, dims, org):
    return Agreement.objects.get(pk=fill(agreement, dims, org.head_a).pk)


def submitted(agreement):
    Agreement.objects.filter(pk=agreement.pk).update(status="submitted")
    return Agreement.objects.get(pk=agreement.pk)


def seat(committee, person, position="member"):
    return CommitteeMember.objects.create(committee=committee, person=person, position=position)


def approve_data(number="9/2570"):
    return {"number": number, "date": "2026-12-01", "text": "เห็นชอบ"}


# --- 3. separation of duties on the committee ---------------------------------------------------------


def test_a_planner_on_the_committee_cannot_approve_the_agreement_he_edits(complete, org, client_for):
    seat(org.committee, org.planner)
    agreement = submitted(complete)
    client = client_for(org.planner)
    assert client.get(reverse("agreement_approve", args=[agreement.pk])).status_code == 404
    assert client.post(reverse("agreement_approve", args=[agreement.pk]), approve_data()).status_code == 404
    assert (
        client.post(reverse("agreement_revision", args=[agreement.pk]), {"comment": "x"}).status_code == 404
    )
    with pytest.raises(ValidationError):
        negotiation.agreement_approve(
            agreement=agreement, user=org.planner, number="1", date=date(2026, 12, 1), text="x"
        )
    assert Agreement.objects.get(pk=agreement.pk).status == "submitted"
    page = client.get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    assert (
        'data-testid="conflicted"' in page and reverse("agreement_approve", args=[agreement.pk]) not in page
    )


def test_a_unit_head_who_seats_himself_on_the_committee_cannot_approve_his_own_agreement(
    complete, org, client_for
):
    seat(org.committee, org.head_a)
    agreement = submitted(complete)
    response = client_for(org.head_a).post(reverse("agreement_approve", args=[agreement.pk]), approve_data())
    assert response.status_code == 404
    assert not Transition.objects.filter(action="approve").exists()


def test_the_recipient_on_the_committee_takes_no_part_but_the_other_members_decide(complete, org, client_for):
    recipient = complete.parties.get(role=Party.Role.RECIPIENT).person  # the department's head
    seat(org.committee, recipient)
    agreement = submitted(complete)
    assert (
        client_for(recipient)
        .post(reverse("agreement_approve", args=[agreement.pk]), approve_data())
        .status_code
        == 404
    )
    response = client_for(org.member).post(reverse("agreement_approve", args=[agreement.pk]), approve_data())
    assert response.status_code == 302
    assert Agreement.objects.get(pk=agreement.pk).status == "approved"


def test_the_queue_shows_an_item_to_the_other_members_only(complete, org, client_for):
    seat(org.committee, org.planner)
    submitted(complete)
    planner_queue = client_for(org.planner).get(reverse("committee_queue")).content.decode()
    member_queue = client_for(org.member).get(reverse("committee_queue")).content.decode()
    link = reverse("agreement_detail", args=[complete.pk])
    assert link in member_queue and link not in planner_queue


def test_a_committee_with_nobody_left_to_decide_says_so(complete, org, client_for):
    CommitteeMember.objects.filter(committee=org.committee).delete()
    seat(org.committee, org.planner, "chair")
    agreement = submitted(complete)
    for person in (org.planner, org.head_a):
        page = client_for(person).get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
        assert 'data-testid="nobody-decides"' in page
    assert address_agreement_step(Transition(subject=agreement, action="submit"))[0] == []


def test_a_member_of_next_years_committee_sees_nothing_of_this_year(complete, org, client_for):
    change = open_change(complete, org.head_a)
    ChangeRequest.objects.filter(pk=change.pk).update(status="submitted")
    client = client_for(org.member_next)
    queue = client.get(reverse("committee_queue")).content.decode()
    assert reverse("change_detail", args=[change.pk]) not in queue
    assert client.get(reverse("change_detail", args=[change.pk])).status_code == 404


def test_the_planner_who_opened_a_change_request_cannot_decide_it(complete, org, client_for):
    """Even a planner without an editor role on the unit (a ministry-level adviser) may not decide his own
    request."""
    change = open_change(complete, org.planner)
    changes.change_item_add(change=change, kind="edit", kpi=complete.kpis.first(), name="ชื่อใหม่")
    ChangeRequest.objects.filter(pk=change.pk).update(status="submitted")
    RoleAssignment.objects.filter(person=org.planner).delete()  # no longer an editor, still the requester
    seat(org.committee, org.planner)
    data = {"decision": "approve", **approve_data()}
    response = client_for(org.planner).post(reverse("change_decide", args=[change.pk]), data)
    assert response.status_code == 404
    assert ChangeRequest.objects.get(pk=change.pk).status == "submitted"
    queue = client_for(org.planner).get(reverse("committee_queue")).content.decode()
    assert reverse("change_detail", args=[change.pk]) not in queue
    assert client_for(org.member).post(reverse("change_decide", args=[change.pk]), data).status_code == 302
    assert ChangeRequest.objects.get(pk=change.pk).status == "approved"


# --- 2. parties: three different people ------------------------------------------------------------------


def parties_post(agreement, changes_by_role):
    rows = list(agreement.parties.order_by("order"))
    prefix = "parties"
    data = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows)}
    for i, party in enumerate(rows):
        person = changes_by_role.get(party.role, party.person)
        data.update(
            {
                f"{prefix}-{i}-id": party.pk,
                f"{prefix}-{i}-agreement": agreement.pk,
                f"{prefix}-{i}-role": party.role,
                f"{prefix}-{i}-person": person.pk if person else "",
                f"{prefix}-{i}-position": party.position,
            }
        )
    return data


def test_the_pledgor_cannot_make_himself_the_recipient(complete, org, client_for):
    before = list(complete.parties.values_list("role", "person"))
    client = client_for(org.head_a)
    url = reverse("agreement_parties_edit", args=[complete.pk])
    response = client.post(url, parties_post(complete, {"recipient": org.head_a}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "ต้องเป็นบุคคลต่างกัน" in page
    assert list(complete.parties.values_list("role", "person")) == before


def test_an_editor_cannot_make_himself_the_recipient(complete, org, client_for):
    before = list(complete.parties.values_list("role", "person"))
    url = reverse("agreement_parties_edit", args=[complete.pk])
    response = client_for(org.planner).post(url, parties_post(complete, {"recipient": org.planner}))
    assert response.status_code == 200
    assert list(complete.parties.values_list("role", "person")) == before


def test_an_editor_may_name_another_recipient(complete, org, client_for):
    url = reverse("agreement_parties_edit", args=[complete.pk])
    response = client_for(org.head_a).post(url, parties_post(complete, {"recipient": org.admin}))
    assert response.status_code == 302
    assert complete.parties.get(role="recipient").person == org.admin


def test_an_agreement_whose_parties_break_the_rule_cannot_be_submitted_or_signed(complete, org):
    complete.parties.filter(role="recipient").update(person=org.head_a)
    problems = selectors.submission_problems(Agreement.objects.get(pk=complete.pk))
    assert "ผู้ทำคำรับรอง ผู้รับคำรับรอง และผู้ร่วมลงนามต้องเป็นบุคคลต่างกัน" in problems
    with pytest.raises(ValidationError):
        negotiation.agreement_submit(agreement=complete, user=org.head_a)
    Agreement.objects.filter(pk=complete.pk).update(status="approved")
    party = complete.parties.get(role="pledgor")
    with pytest.raises(ValidationError):
        negotiation.agreement_sign(agreement=complete, party=party, user=org.head_a)
    assert not Party.objects.filter(agreement=complete, signed_at__isnull=False).exists()


# --- 1. accounts -------------------------------------------------------------------------------------------


@pytest.fixture
def director(org):
    """The department's head, who also holds a role above the department (executive of the ministry)."""
    RoleAssignment.objects.create(person=org.director, unit=org.ministry, role=Role.EXECUTIVE)
    return org.director


def test_a_sub_administrator_cannot_change_the_email_of_someone_with_roles_elsewhere(
    director, org, client_for
):
    client = client_for(org.sub_admin)
    assert client.get(reverse("person_detail", args=[director.pk])).status_code == 200  # may read
    data = {"first_name": "x", "last_name": "y", "username": "director", "email": "evil@example.com"}
    assert client.post(reverse("person_edit", args=[director.pk]), data).status_code == 404
    assert client.post(reverse("person_reinvite", args=[director.pk])).status_code == 404
    assert client.post(reverse("person_role_add", args=[director.pk]), {}).status_code == 404
    assert Person.objects.get(pk=director.pk).email == "director@example.go.th"
    assert not Invitation.objects.filter(person=director).exists()


def test_an_administrator_covering_every_role_may_manage_the_person(director, org, client_for):
    data = {
        "title": "",
        "first_name": "วิชัย",
        "last_name": "ใหม่",
        "username": "director",
        "email": "new@example.go.th",
        "position": "",
        "office": "",
        "mobile": "",
    }
    response = client_for(org.admin).post(reverse("person_edit", args=[director.pk]), data)
    assert response.status_code == 302
    assert Person.objects.get(pk=director.pk).email == "new@example.go.th"


def test_an_invitation_never_replaces_a_working_password(director, org, client_for):
    response = client_for(org.admin).post(reverse("person_reinvite", args=[director.pk]), follow=True)
    assert "รีเซ็ตรหัสผ่าน" in response.content.decode()
    assert not Invitation.objects.filter(person=director).exists()
    # An invitation issued before the password was set is dead once a password exists.
    invitation, token = Invitation.issue(director)
    page = client_for(org.outsider).get(reverse("invitation_accept", args=[token]))
    assert page.status_code == 410
    response = page.client.post(
        reverse("invitation_accept", args=[token]),
        {"password1": "Takeover-2570!", "password2": "Takeover-2570!"},
    )
    assert response.status_code == 410
    assert Person.objects.get(pk=director.pk).check_password("persona-pass-2570")


def test_a_person_without_roles_is_managed_only_from_the_top(org, client_for):
    expert = make_person("expert")  # an outside committee member
    data = {"first_name": "x", "last_name": "y", "username": "expert", "email": "evil@example.com"}
    assert client_for(org.sub_admin).post(reverse("person_edit", args=[expert.pk]), data).status_code == 404
    assert client_for(org.admin).get(reverse("person_edit", args=[expert.pk])).status_code == 200


# --- 8. what a signed agreement points to ------------------------------------------------------------------


@pytest.fixture
def cascade(org, dims, complete):
    """The department's draft KPI served by bureau A's signed KPI."""
    dept_agreement = drafting.agreements_create(
        fiscal_year=org.year, units=[Unit.objects.get(pk=org.dept.pk)]
    )[0]
    target = add_kpi(dept_agreement, dims[0], 45, "ตัวชี้วัดกรม")
    served = complete.kpis.order_by("pk").first()
    KPI.objects.filter(pk=served.pk).update(cascaded_from=target)
    Agreement.objects.filter(pk=complete.pk).update(status="signed")
    return target, served


def test_deleting_a_draft_kpi_that_a_signed_kpi_serves_is_refused(cascade, org, client_for):
    target, served = cascade
    response = client_for(org.planner).post(reverse("kpi_delete", args=[target.pk]), follow=True)
    assert "ไม่สามารถลบ" in response.content.decode()
    assert KPI.objects.filter(pk=target.pk).exists()
    assert KPI.objects.get(pk=served.pk).cascaded_from_id == target.pk


def test_deleting_a_kpi_served_only_by_drafts_clears_their_link_with_history(cascade, org):
    target, served = cascade
    Agreement.objects.filter(pk=served.agreement_id).update(status="draft")
    kpis.kpi_delete(kpi=target)
    served = KPI.objects.get(pk=served.pk)
    assert served.cascaded_from_id is None
    assert served.history.first().history_change_reason == "cascade target deleted"


def test_people_named_on_kpis_cannot_be_deleted(complete, org):
    with pytest.raises(ProtectedError):
        Person.objects.filter(pk=org.head_a.pk).delete()
    assert KPI.objects.filter(supervisor=org.head_a).count() == 4


def test_a_resolution_that_approved_an_agreement_never_changes(complete, org):
    agreement = submitted(complete)
    negotiation.agreement_approve(
        agreement=agreement, user=org.member, number="5/2570", date=date(2026, 12, 1), text="ก"
    )
    resolution = Agreement.objects.get(pk=agreement.pk).approval_resolution
    resolution.number, resolution.text = "6/2570", "แก้ไข"
    with pytest.raises(ValidationError):
        resolution.save()
    resolution.refresh_from_db()
    assert (resolution.number, resolution.text) == ("5/2570", "ก")
    with pytest.raises(ProtectedError):
        resolution.delete()


# --- 11. smaller ones ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["parent=abc", "dimension=abc", "parent=99999", "dimension=1.5"])
def test_malformed_parameters_of_the_new_kpi_page_are_not_found(complete, org, client_for, query):
    url = reverse("kpi_create", args=[complete.pk]) + "?" + query
    assert client_for(org.head_a).get(url).status_code == 404


def test_a_head_named_without_the_unit_head_role_gets_nothing(org, dims, client_for):
    stranger = make_person("stranger")
    Unit.objects.filter(pk=org.bureau_b.pk).update(head=stranger)
    agreement = drafting.agreements_create(
        fiscal_year=org.year, units=[Unit.objects.get(pk=org.bureau_b.pk)]
    )[0]
    client = client_for(stranger)
    assert client.get(reverse("agreement_detail", args=[agreement.pk])).status_code == 404
    party = agreement.parties.get(role="pledgor")
    Agreement.objects.filter(pk=agreement.pk).update(status="approved")
    assert client.post(reverse("agreement_sign", args=[agreement.pk, party.pk])).status_code == 404
    assert not Party.objects.filter(pk=party.pk, signed_at__isnull=False).exists()


def test_the_unit_form_names_only_holders_of_the_unit_head_role(org, client_for):
    stranger = make_person("stranger")
    data = {"name_th": "สำนักบี", "name_en": "", "abbreviation": "สบ.", "unit_type": org.bureau_b.unit_type_id}
    client = client_for(org.admin)
    response = client.post(reverse("unit_edit", args=[org.bureau_b.pk]), {**data, "head": stranger.pk})
    assert response.status_code == 200 and Unit.objects.get(pk=org.bureau_b.pk).head_id is None
    response = client.post(reverse("unit_edit", args=[org.bureau_b.pk]), {**data, "head": org.head_b.pk})
    assert response.status_code == 302 and Unit.objects.get(pk=org.bureau_b.pk).head_id == org.head_b.pk
    with pytest.raises(ValidationError):
        from kpi_agreements.organisation.services import unit_update

        unit_update(unit=Unit.objects.get(pk=org.bureau_b.pk), head=stranger)


def test_who_may_decide_costs_the_same_queries_whatever_the_committee_size(complete, org, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agreement = submitted(complete)
    client = client_for(org.head_a)
    url = reverse("agreement_detail", args=[agreement.pk])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    seat(org.committee, org.planner)  # one conflicted member, so the rule has work to do
    few = count()
    for n in range(8):
        seat(org.committee, make_person(f"expert{n}"))
    assert count() == few
    assert {p.username for p in deciders(agreement)} == {"member", *(f"expert{n}" for n in range(8))}
