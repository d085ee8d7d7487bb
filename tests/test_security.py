"""Platform security (issue 8): login throttling, the admin's read-only records, names that hide text."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import translation

from kpi_agreements.agreements.forms.changes import ChangeItemForm
from kpi_agreements.agreements.forms.editor import KPIForm
from kpi_agreements.agreements.forms.framework import DimensionForm, MandatoryKPIForm
from kpi_agreements.agreements.models import (
    KPI,
    Agreement,
    AgreementVersion,
    ChangeItem,
    ChangeRequest,
    Evidence,
    Party,
)
from kpi_agreements.core.security import client_ip
from kpi_agreements.core.validators import NameField, clean_name
from kpi_agreements.organisation.forms import CommitteeForm, PersonForm, UnitForm
from kpi_agreements.organisation.models import Person, Resolution, Unit
from kpi_agreements.workflow.models import Transition
from tests.conftest import PASSWORD, make_person

LOCKOUT = (
    "Too many failed log-ins for this account from your address. Try again in %(minutes)s minutes, "
    "or ask an administrator to unlock the account."
)


def log_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_until_locked(client, username="head_a", times=5):
    for _ in range(times):
        log_in(client, username, "wrong-password")


# Login throttling (defect 9)


def test_five_wrong_passwords_lock_the_account_out_and_the_right_one_is_then_refused_with_the_reason(
    org, client
):
    for attempt in range(4):
        response = log_in(client, "head_a", "wrong-password")
        assert response.status_code == 200, attempt  # the usual "wrong password" page
        assert "lockout" not in response.context
    log_in(client, "head_a", "wrong-password")

    response = log_in(client, "head_a", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    with translation.override("th"):
        expected = translation.gettext(LOCKOUT) % {"minutes": 15}
    assert response.context["lockout"] == expected
    html = response.content.decode()
    assert 'data-testid="lockout"' in html and 'name="password"' in html  # the login page, not a bare text


def test_the_limit_and_the_lockout_time_come_from_the_settings(org, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=40)
    fail_until_locked(client, times=2)
    response = log_in(client, "head_a", PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    assert "40" in response.context["lockout"]


def test_the_lockout_holds_only_for_that_username_from_that_address(org, client):
    fail_until_locked(client)
    assert log_in(client, "head_b", PASSWORD).status_code == 302

    elsewhere = Client(REMOTE_ADDR="10.20.30.40")
    assert log_in(elsewhere, "head_a", PASSWORD).status_code == 302
    assert logged_in(elsewhere)


def test_a_success_before_the_limit_forgets_the_failures(org, client):
    fail_until_locked(client, times=4)
    assert log_in(client, "head_a", PASSWORD).status_code == 302
    client.logout()
    fail_until_locked(client, times=4)
    assert log_in(client, "head_a", PASSWORD).status_code == 302


def test_manage_py_axes_reset_username_unlocks(org, client):
    fail_until_locked(client)
    assert log_in(client, "head_a", PASSWORD).status_code == 429

    call_command("axes_reset_username", "head_a")

    assert log_in(client, "head_a", PASSWORD).status_code == 302
    assert logged_in(client)


def test_an_administrator_unlocks_from_the_admin(org, client):
    fail_until_locked(client)
    attempt = AccessAttempt.objects.get(username="head_a")
    root = make_person("root", is_staff=True, is_superuser=True)
    staff = Client()
    staff.force_login(root)

    assert staff.get("/admin/axes/accessattempt/").status_code == 200
    response = staff.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302

    assert log_in(client, "head_a", PASSWORD).status_code == 302


def test_behind_the_tls_proxy_the_address_is_the_one_the_proxy_appended(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.HTTPS = True
    assert client_ip(request) == "203.0.113.9"
    # Without the proxy the header is the client's own writing: ignored.
    settings.HTTPS = False
    assert client_ip(request) == "127.0.0.1"


def test_the_test_clients_login_without_a_request_still_works(org, client):
    assert client.login(username="head_a", password=PASSWORD)


# The admin is read-only for workflow-governed records (defect 8)

READ_ONLY = [
    Agreement,
    Party,
    KPI,
    ChangeRequest,
    ChangeItem,
    Evidence,
    AgreementVersion,
    Transition,
    Resolution,
]


@pytest.fixture
def superuser(db):
    return make_person("root", is_staff=True, is_superuser=True)


@pytest.fixture
def records(org, agreement, superuser):
    """One saved row of every workflow-governed model."""
    change = ChangeRequest.objects.create(
        agreement=agreement,
        opened_by=org.head_a,
        window="first",
        grounds=ChangeRequest.Grounds.POLICY,
        justification="นโยบายรัฐบาลเปลี่ยน",
        effective_round=6,
    )
    kpi = KPI.objects.filter(agreement=agreement).first() or KPI.objects.create(
        agreement=agreement, dimension=agreement.fiscal_year.dimensions.first(), name="ตัวชี้วัดทดสอบ", weight=10
    )
    resolution = Resolution.objects.create(
        committee=org.committee,
        number="1/2570",
        date=datetime.date(2026, 12, 1),
        text="อนุมัติ",
        recorded_by=org.member,
    )
    return {
        Agreement: agreement,
        Party: agreement.parties.first(),
        KPI: kpi,
        ChangeRequest: change,
        ChangeItem: ChangeItem.objects.create(change_request=change, kind=ChangeItem.Kind.choices[0][0]),
        Evidence: Evidence.objects.create(
            change_request=change, file="change-requests/x.pdf", name="x.pdf", uploaded_by=org.head_a
        ),
        AgreementVersion: AgreementVersion.objects.create(
            agreement=agreement, number=1, effective_round=6, snapshot={}
        ),
        Transition: Transition.objects.create(
            content_type=ContentType.objects.get_for_model(Agreement),
            object_id=agreement.pk,
            action="submit",
            from_state="draft",
            to_state="submitted",
        ),
        Resolution: resolution,
    }


def admin_url(obj, view):
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/{view}/"


def snapshot(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_the_admin_offers_no_add_change_or_delete_on_workflow_records(model, superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_a_superusers_posts_to_the_admin_change_nothing(model, records, superuser, client):
    obj = records[model]
    before, count = snapshot(obj), model.objects.count()
    client.force_login(superuser)

    assert client.get(admin_url(obj, "change")).status_code == 200  # looking is allowed
    assert client.post(admin_url(obj, "change"), {"number": "9/2570", "name": "x"}).status_code == 403
    assert client.post(admin_url(obj, "delete"), {"post": "yes"}).status_code == 403
    add = f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/add/"
    assert client.post(add, {"name": "x"}).status_code == 403

    assert model.objects.count() == count
    obj.refresh_from_db()
    assert snapshot(obj) == before


def test_the_history_revert_page_cannot_rewrite_an_approving_resolution(org, records, superuser, client):
    resolution = records[Resolution]
    version = resolution.history.first()
    client.force_login(superuser)
    url = admin_url(resolution, f"history/{version.history_id}")
    assert client.get(url).status_code == 200
    kept = {"committee": resolution.committee_id, "recorded_by": org.member.pk}
    response = client.post(url, {**kept, "number": "99/2570", "date": "2026-12-02", "text": "แก้ไข"})
    assert response.status_code == 403
    resolution.refresh_from_db()
    assert (resolution.number, resolution.text) == ("1/2570", "อนุมัติ")


def test_people_and_units_are_never_deleted_from_the_admin(org, superuser, client):
    client.force_login(superuser)
    assert client.post(admin_url(org.head_a, "delete"), {"post": "yes"}).status_code == 403
    assert client.post(admin_url(org.bureau_b, "delete"), {"post": "yes"}).status_code == 403
    client.post(
        "/admin/organisation/person/",
        {"action": "delete_selected", "_selected_action": [org.head_a.pk], "post": "yes"},
    )
    assert Person.objects.filter(pk=org.head_a.pk).exists()
    assert Unit.objects.filter(pk=org.bureau_b.pk).exists()
    # Deactivating stays possible: the person edit page is not read-only.
    assert client.get(admin_url(org.head_a, "change")).status_code == 200


# Names that hide or reorder text (defect 11)

RLO, LRI, PDI, ZWSP, ZWJ, BOM = "\u202e", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff"
INVISIBLE = "This name has only invisible characters; type a name that can be read."


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("สำนักเอ", "สำนักเอ"),
        (f"{ZWSP}สำนักเอ{BOM} ", "สำนักเอ"),
        (f"{ZWJ} {ZWSP}Bureau A{ZWSP}", "Bureau A"),
        (f"สำนัก{ZWSP}เอ", f"สำนัก{ZWSP}เอ"),  # Thai text uses U+200B between words
        ("", ""),
    ],
)
def test_invisible_characters_at_either_end_are_dropped(typed, kept):
    assert clean_name(typed) == kept


@pytest.mark.parametrize(
    "typed, code",
    [
        (ZWSP * 3, "invisible"),
        (f"{ZWSP}{BOM}{ZWJ}\u2060\u00a0", "invisible"),
        ("\u3164\u3164", "invisible"),
        (f"สำนักเอ{RLO}gpj.exe", "bidi_control"),
        (f"{LRI}นายสมชาย{PDI}", "bidi_control"),
        ("\u200fสมชาย", "bidi_control"),
        ("ชื่อ\u061c", "bidi_control"),
    ],
)
def test_names_that_show_nothing_or_carry_a_direction_control_are_refused(typed, code):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        clean_name(typed)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "form, fields",
    [
        (UnitForm, ["name_th", "name_en", "abbreviation"]),
        (PersonForm, ["title", "first_name", "last_name"]),
        (CommitteeForm, ["name"]),
        (KPIForm, ["name"]),
        (DimensionForm, ["name_th", "name_en"]),
        (MandatoryKPIForm, ["name"]),
        (ChangeItemForm, ["name"]),
    ],
    ids=lambda x: getattr(x, "__name__", None),
)
def test_every_name_field_a_person_types_is_checked(form, fields):
    for name in fields:
        assert isinstance(form.base_fields[name], NameField), f"{form.__name__}.{name}"


def unit_data(unit, **changes):
    data = {
        "name_th": unit.name_th,
        "name_en": unit.name_en,
        "abbreviation": unit.abbreviation,
        "unit_type": unit.unit_type_id,
        "head": unit.head_id or "",
    }
    return {**data, **changes}


def test_a_unit_name_of_zero_width_spaces_is_refused_at_the_field_and_nothing_changes(org, client_for):
    client = client_for(org.admin)
    response = client.post(f"/units/{org.bureau_a.pk}/edit/", unit_data(org.bureau_a, name_th=ZWSP * 4))
    assert response.status_code == 200
    with translation.override("th"):
        expected = translation.gettext(INVISIBLE)
    assert response.context["form"].errors["name_th"] == [expected]
    assert expected in response.content.decode()
    org.bureau_a.refresh_from_db()
    assert org.bureau_a.name_th == "สำนักเอ"


def test_a_unit_name_is_saved_without_invisible_characters_at_its_ends(org, client_for):
    client = client_for(org.admin)
    data = unit_data(org.bureau_a, name_th=f"{ZWSP}สำนักใหม่{BOM}", abbreviation=f"{ZWSP}สม.")
    response = client.post(f"/units/{org.bureau_a.pk}/edit/", data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    org.bureau_a.refresh_from_db()
    assert (org.bureau_a.name_th, org.bureau_a.abbreviation) == ("สำนักใหม่", "สม.")


def test_a_persons_name_with_a_right_to_left_override_is_refused_at_the_field(org, client_for):
    person = org.head_b
    data = {
        "title": "นาย",
        "first_name": person.first_name,
        "last_name": f"Persona{RLO}nimda",
        "username": person.username,
        "email": person.email,
        "position": "",
        "office": "",
        "mobile": "",
    }
    response = client_for(org.admin).post(f"/people/{person.pk}/edit/", data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["last_name"]
    person.refresh_from_db()
    assert person.last_name == "Persona"
