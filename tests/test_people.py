import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kpi_agreements.organisation.models import Invitation, Person, RoleAssignment


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Post the invitation form; the e-mail task is queued on commit, so run the callbacks."""

    def post(client, unit, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return _invite(client, unit, **extra)

    return post


def _invite(client, unit, **extra):
    data = {
        "title": "นาง",
        "first_name": "มาลี",
        "last_name": "ใจดี",
        "username": "malee",
        "email": "malee@example.go.th",
        "position": "นักวิเคราะห์",
        "office": "02-111-1111",
        "mobile": "081-234-5678",
        "unit": unit.pk,
        "role": "data_collector",
    }
    data.update(extra)
    return client.post(reverse("person_create"), data)


def link_from(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_administrator_adds_a_person_with_a_role_and_an_invitation_is_mailed(invite, org, client_for):
    response = invite(client_for(org.admin), org.bureau_a)
    person = Person.objects.get(username="malee")
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(person=person, unit=org.bureau_a, role="data_collector").exists()
    assert not person.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["malee@example.go.th"]
    assert "/accounts/invitation/" in link_from(mail.outbox[0])
    assert Invitation.objects.get(person=person).sent_at is not None


def test_invitation_link_sets_the_password_once(invite, org, client_for, client):
    invite(client_for(org.admin), org.bureau_a)
    path = link_from(mail.outbox[0]).split("://", 1)[1].split("/", 1)[1]
    client.logout()
    response = client.post("/" + path, {"password1": "a-long-secret-2570", "password2": "a-long-secret-2570"})
    assert response.status_code == 302
    assert client.login(username="malee", password="a-long-secret-2570")
    client.logout()
    again = client.get("/" + path)
    assert again.status_code == 410
    assert "already been used" in again.content.decode() or "ถูกใช้" in again.content.decode()


def test_expired_invitation_link_is_refused(invite, org, client_for, client):
    invite(client_for(org.admin), org.bureau_a)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    path = "/" + link_from(mail.outbox[0]).split("://", 1)[1].split("/", 1)[1]
    client.logout()
    response = client.post(path, {"password1": "a-long-secret-2570", "password2": "a-long-secret-2570"})
    assert response.status_code == 410
    assert not Person.objects.get(username="malee").has_usable_password()


def test_unknown_invitation_token_is_refused(db, client):
    assert client.get(reverse("invitation_accept", args=["nonsense"])).status_code == 410


def test_mismatched_passwords_are_shown_at_the_field(invite, org, client_for, client):
    invite(client_for(org.admin), org.bureau_a)
    path = "/" + link_from(mail.outbox[0]).split("://", 1)[1].split("/", 1)[1]
    response = client.post(path, {"password1": "a-long-secret-2570", "password2": "other-secret-2570"})
    assert response.status_code == 200 and response.context["form"].errors["password2"]
    assert Invitation.objects.get().used_at is None


def test_a_role_outside_the_administrators_scope_is_refused(invite, org, client_for):
    from kpi_agreements.organisation.models import RoleAssignment as RA
    from kpi_agreements.organisation.services import unit_create

    elsewhere = unit_create(parent=None, name_th="อีกองค์กร", abbreviation="อก.", unit_type=org.dept.unit_type)
    response = invite(client_for(org.admin), elsewhere)
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert not Person.objects.filter(username="malee").exists()
    # And on an existing person's page.
    client = client_for(org.admin)
    response = client.post(
        reverse("person_role_add", args=[org.head_a.pk]), {"unit": elsewhere.pk, "role": "executive"}
    )
    assert response.status_code == 400
    assert not RA.objects.filter(unit=elsewhere).exists()


def test_a_role_on_an_inactive_unit_is_refused(invite, org, client_for):
    from kpi_agreements.organisation.models import Unit

    Unit.objects.filter(pk=org.bureau_b.pk).update(is_active=False)
    response = invite(client_for(org.admin), org.bureau_b)
    assert response.status_code == 200 and "unit" in response.context["form"].errors


def test_duplicate_email_is_refused_at_the_field(invite, org, client_for):
    response = invite(client_for(org.admin), org.bureau_a, email=org.head_a.email)
    assert "email" in response.context["form"].errors
    assert len(mail.outbox) == 0


def test_administrator_assigns_and_removes_roles(invite, org, client_for):
    client = client_for(org.admin)
    client.post(
        reverse("person_role_add", args=[org.head_a.pk]), {"unit": org.bureau_a.pk, "role": "kpi_supervisor"}
    )
    role = RoleAssignment.objects.get(person=org.head_a, role="kpi_supervisor")
    client.post(reverse("person_role_remove", args=[org.head_a.pk, role.pk]))
    assert not RoleAssignment.objects.filter(pk=role.pk).exists()


@pytest.mark.parametrize("persona", ["planner", "head_a", "executive", "outsider"])
def test_only_administrators_add_people_and_roles(invite, org, client_for, persona):
    client = client_for(getattr(org, persona))
    assert client.get(reverse("person_create")).status_code == 404
    response = client.post(
        reverse("person_role_add", args=[org.head_a.pk]), {"unit": org.bureau_a.pk, "role": "admin"}
    )
    assert response.status_code == 404
    assert not RoleAssignment.objects.filter(person=org.head_a, role="admin").exists()


def test_password_reset_sends_a_working_link(invite, org, client):
    client.post(reverse("password_reset"), {"email": org.head_a.email})
    assert len(mail.outbox) == 1
    path = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-pass-2570", "new_password2": "brand-new-pass-2570"},
    )
    assert response.status_code == 302
    assert client.login(username="head_a", password="brand-new-pass-2570")


def test_person_pages_keep_their_query_count_as_people_grow(invite, org, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import make_person

    client = client_for(org.admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("person_list")).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(10):
        RoleAssignment.objects.create(person=make_person(f"p{i}"), unit=org.bureau_b, role="data_collector")
    assert count() == small
