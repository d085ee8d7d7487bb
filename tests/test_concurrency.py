"""Twenty pairs of simultaneous requests for each race a ministry meets (issue 8): creating the same
agreement, the last two signatures, two approvals, two decisions. One winner, a clear answer for the other,
never a 500.

The requests go through the real views from two threads, each with its own database connection. SQLite has
no row locks, so there a request that meets a locked table is sent again; PostgreSQL (CI) gets no such help.
"""

import threading
import time
from functools import partial

import pytest
from django.contrib.messages import get_messages
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from kpi_agreements.agreements.models import Agreement, ChangeRequest, Party
from kpi_agreements.agreements.services import changes, drafting
from kpi_agreements.documents.models import AgreementDocument
from kpi_agreements.organisation.models import CommitteeMember, Resolution, Unit
from kpi_agreements.workflow.models import Job, Notice, Transition
from tests.factories import fill, open_change

PAIRS = 20
# A request that SQLite sent again may have lost its first answer (its change committed, then the session
# write met a locked table), so which one "won" is asserted on PostgreSQL; what was written, everywhere.
STRICT = connection.vendor != "sqlite"


def race(*calls):
    """Run the calls at the same moment; return their responses (or the exception that escaped)."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i):
        barrier.wait()
        try:
            for _attempt in range(30):
                try:
                    results[i] = calls[i]()
                    return
                except OperationalError:
                    if connection.vendor != "sqlite":
                        raise
                    time.sleep(0.1)
        except Exception as exc:  # reported by the test, not swallowed
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def client(person):
    c = Client()
    c.force_login(person)
    return c


def statuses(results):
    for r in results:
        assert not isinstance(r, BaseException), repr(r)
        assert r.status_code < 500, r.status_code
    return sorted(r.status_code for r in results)


def texts(results):
    # Only what this request said: the session may still hold an earlier, unread message.
    return [" ".join(str(m) for m in get_messages(r.wsgi_request)._queued_messages) for r in results]


@pytest.fixture
def world(transactional_db, org, dims, settings):
    settings.AXES_ENABLED = False

    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    agreement = drafting.agreements_create(
        fiscal_year=org.year, units=[Unit.objects.get(pk=org.bureau_a.pk)]
    )[0]
    fill(agreement, dims, org.head_a)
    CommitteeMember.objects.create(committee=org.committee, person=org.outsider, position="member")
    return agreement


def test_two_people_creating_the_same_agreement_make_one(world, org):
    from kpi_agreements.organisation.models import RoleAssignment

    RoleAssignment.objects.create(person=org.outsider, unit=org.dept, role="planning")
    url = reverse("year_agreements_create", args=[org.year.pk])
    a, b = client(org.planner), client(org.outsider)
    for _pair in range(PAIRS):
        results = race(
            lambda: a.post(url, {"units": [org.bureau_b.pk]}),
            lambda: b.post(url, {"units": [org.bureau_b.pk]}),
        )
        assert statuses(results) == [302, 302]
        assert Agreement.objects.filter(unit=org.bureau_b).count() == 1
        # Each request asked for a job (run in its thread once committed); its outcome says what it did.
        jobs = list(Job.objects.filter(kind="agreements.year_create"))
        if STRICT:
            assert [j.status for j in jobs] == [Job.Status.READY] * 2, [j.error for j in jobs]
            assert sorted((j.outcome["created"], j.outcome["skipped"]) for j in jobs) == [(0, 1), (1, 0)]
        Agreement.objects.filter(unit=org.bureau_b).delete()
        Job.objects.all().delete()


@pytest.fixture
def queued_only():
    """Tasks go to an in-memory broker instead of running in the request: rendering twenty signed PDFs is
    not what this race is about (the documents' own tests render them)."""
    from kpi_agreements.celery import app
    from tests.test_celery_worker import _forget_connections

    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    _forget_connections()
    app.conf.task_always_eager, app.conf.broker_url = False, "memory://"
    yield
    app.conf.task_always_eager, app.conf.broker_url = eager, broker
    _forget_connections()


def test_the_last_two_signatures_at_once_lock_the_agreement_once(world, org, queued_only):
    Agreement.objects.filter(pk=world.pk).update(status="approved")
    pledgor = world.parties.get(role=Party.Role.PLEDGOR)
    recipient = world.parties.get(role=Party.Role.RECIPIENT)
    head, director = client(org.head_a), client(org.director)
    for _pair in range(PAIRS):
        results = race(
            lambda: head.post(reverse("agreement_sign", args=[world.pk, pledgor.pk])),
            lambda: director.post(reverse("agreement_sign", args=[world.pk, recipient.pk])),
        )
        assert statuses(results) == [302, 302]
        assert Agreement.objects.get(pk=world.pk).status == "signed"
        assert Transition.objects.filter(object_id=world.pk, action="lock").count() == 1
        assert AgreementDocument.objects.filter(agreement=world, kind="signed").count() == 1
        Transition.objects.all().delete()
        Notice.objects.all().delete()
        AgreementDocument.objects.all().delete()
        Party.objects.filter(agreement=world).update(signed_at=None, signed_name="", signed_position="")
        Agreement.objects.filter(pk=world.pk).update(status="approved")


def test_two_members_approving_at_once_make_one_approval(world, org):
    member, other = client(org.member), client(org.outsider)
    url = reverse("agreement_approve", args=[world.pk])
    for pair in range(PAIRS):
        Agreement.objects.filter(pk=world.pk).update(status="submitted", approval_resolution=None)
        data = [{"number": f"{pair}/{n}", "date": "2026-12-01", "text": "เห็นชอบ"} for n in (1, 2)]
        results = race(partial(member.post, url, data[0]), partial(other.post, url, data[1]))
        codes = statuses(results)
        if STRICT:  # the loser sees the form with the reason
            assert codes in ([200, 302], [302, 400]), codes
        assert Transition.objects.filter(object_id=world.pk, action="approve").count() == 1
        assert Resolution.objects.filter(number__startswith=f"{pair}/").count() == 1
        Transition.objects.all().delete()
        Notice.objects.all().delete()


def test_two_members_deciding_a_change_request_at_once_make_one_decision(world, org):
    change = open_change(world, org.head_a)
    changes.change_item_add(change=change, kind="edit", kpi=world.kpis.first(), name="ชื่อใหม่")
    member, other = client(org.member), client(org.outsider)
    url = reverse("change_decide", args=[change.pk])
    for pair in range(PAIRS):
        ChangeRequest.objects.filter(pk=change.pk).update(status="submitted", resolution=None)
        data = [
            {"decision": "reject", "number": f"c{pair}/{n}", "date": "2026-12-01", "text": "ไม่อนุมัติ"}
            for n in (1, 2)
        ]
        results = race(partial(member.post, url, data[0]), partial(other.post, url, data[1]))
        codes = statuses(results)
        if STRICT:
            assert codes == [302, 400], codes
        assert ChangeRequest.objects.get(pk=change.pk).status == "rejected"
        assert Transition.objects.filter(object_id=change.pk, action="reject").count() == 1
        Transition.objects.all().delete()
        Notice.objects.all().delete()
