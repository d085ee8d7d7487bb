"""Side effects that survive faults (issue 9 item 4): the outbox, the sweeper, tasks run after the response,
and a real worker against a private Redis that is stopped and started under it (ADR 0005)."""

import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kpi_agreements.agreements.models import Agreement
from kpi_agreements.agreements.services import negotiation
from kpi_agreements.celery import app
from kpi_agreements.documents import render
from kpi_agreements.documents.models import AgreementDocument
from kpi_agreements.organisation.models import Invitation
from kpi_agreements.workflow import notify, outbox
from kpi_agreements.workflow.models import Effect, Notice
from tests.factories import fill
from tests.test_celery_worker import _forget_connections

FAKE_PDF = b"%PDF-1.7\n% the worker's work, not the layout, is under test\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class Renders(list):
    def __init__(self):
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()


@pytest.fixture
def renders(monkeypatch):
    """Every render, counted; a test may hold one back with ``renders.gate``."""
    calls = Renders()

    def fake(agreement, *, draft, thai_digits):
        calls.append(agreement.pk)
        assert calls.gate.wait(20), "the render was never released"
        return FAKE_PDF

    monkeypatch.setattr(render, "render_agreement_pdf", fake)
    return calls


@pytest.fixture
def approved(agreement, dims, org, django_capture_on_commit_callbacks):
    """Bureau A's complete agreement, approved by the committee: head A and the director are to sign."""
    fill(agreement, dims, org.head_a)
    with django_capture_on_commit_callbacks(execute=True):
        negotiation.agreement_submit(agreement=agreement, user=org.head_a)
        negotiation.agreement_approve(
            agreement=agreement, user=org.member, number="1/2570", date=date(2026, 12, 20), text="เห็นชอบ"
        )
    return Agreement.objects.get(pk=agreement.pk)


def sign(agreement, person):
    party = agreement.parties.get(person=person)
    client = Client()
    client.force_login(person)
    return client.post(reverse("agreement_sign", args=[agreement.pk, party.pk]))


def open_effects():
    return Effect.objects.filter(done_at__isnull=True)


@contextmanager
def broker_down():
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("the broker is down")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outbox.run_effect, "apply_async", refuse)
        yield


# --- the outbox, in-process ----------------------------------------------------------------------------


def test_a_dead_broker_loses_nothing_and_the_sweeper_delivers_it(
    approved, org, renders, django_capture_on_commit_callbacks
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        assert sign(approved, org.head_a).status_code == 302
        assert sign(approved, org.director).status_code == 302  # the last signature: no 500
    assert Agreement.objects.get(pk=approved.pk).status == "signed"
    document = AgreementDocument.objects.get(agreement=approved, kind="signed")
    assert document.status == "pending" and renders == []
    assert sorted(open_effects().values_list("task", flat=True)) == [
        "kpi_agreements.documents.tasks.render_agreement_document",
        "kpi_agreements.workflow.notify.send_step_notices",
    ]
    assert not open_effects().exclude(published_at=None).exists()  # left for the sweeper
    mailed = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.sweep() == 2
    assert AgreementDocument.objects.get(pk=document.pk).status == "ready" and renders == [approved.pk]
    told = Notice.objects.filter(transition_key(approved, "lock"))
    assert told.count() > 0 and not told.filter(emailed_at=None).exists()
    assert sorted(m.to[0] for m in mail.outbox[mailed:]) == sorted(n.recipient.email for n in told)
    assert not open_effects().exists()
    assert outbox.sweep() == 0  # nothing is done twice


def transition_key(agreement, action):
    from django.db.models import Q

    from kpi_agreements.workflow.models import Transition

    row = Transition.objects.get(object_id=agreement.pk, content_type__model="agreement", action=action)
    return Q(key=f"transition:{row.pk}")


def test_an_effect_delivered_twice_runs_once(approved, org, renders, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign(approved, org.head_a)
        sign(approved, org.director)
    sent = len(mail.outbox)
    for effect in Effect.objects.all():
        outbox.run_effect(effect.pk)
    assert len(renders) == 1 and len(mail.outbox) == sent
    assert set(Effect.objects.values_list("attempts", flat=True)) == {1}


def test_one_failed_e_mail_is_retried_alone_until_it_is_sent(
    approved, org, renders, monkeypatch, django_capture_on_commit_callbacks
):
    real_send = notify.send_mail
    mailed = len(mail.outbox)

    def flaky(subject, body, sender, to):
        if to == [org.director.email]:
            raise ConnectionRefusedError("the mail server is down")
        return real_send(subject, body, sender, to)

    monkeypatch.setattr(notify, "send_mail", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        sign(approved, org.head_a)
        sign(approved, org.director)
    unsent = Notice.objects.get(recipient=org.director, emailed_at=None)
    assert org.director.email not in {m.to[0] for m in mail.outbox[mailed:]} and len(mail.outbox) > mailed
    failed = Effect.objects.get(done_at=None)
    assert failed.args == [unsent.pk] and failed.attempts == 1 and "mail server is down" in failed.last_error
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.sweep() == 1  # still down: kept, tried again at the next sweep
    monkeypatch.setattr(notify, "send_mail", real_send)
    others = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.sweep() == 1
    assert [m.to for m in mail.outbox[others:]] == [[org.director.email]]
    assert Notice.objects.get(pk=unsent.pk).emailed_at is not None
    assert Effect.objects.get(pk=failed.pk).attempts == 3 and outbox.sweep() == 0


def test_the_sweeper_waits_for_what_is_on_its_way_and_takes_back_what_was_lost(db, settings, monkeypatch):
    settings.TASK_STUCK_MINUTES = 10
    settings.TASK_MAX_ATTEMPTS = 10
    now = timezone.now()
    ago = {n: now - timedelta(minutes=n) for n in (1, 30)}
    effects = {
        "never published": Effect.objects.create(task="x", published_at=None),
        "just published": Effect.objects.create(task="x", published_at=ago[1]),
        "published, lost": Effect.objects.create(task="x", published_at=ago[30]),
        "running": Effect.objects.create(task="x", published_at=ago[30], started_at=ago[1], attempts=1),
        "worker died": Effect.objects.create(task="x", published_at=ago[30], started_at=ago[30], attempts=1),
        "done": Effect.objects.create(task="x", published_at=ago[30], done_at=ago[30], attempts=1),
        "gave up": Effect.objects.create(task="x", published_at=None, attempts=10),
    }
    published = []
    monkeypatch.setattr(outbox, "publish", published.append)
    assert outbox.sweep() == 3
    names = {e.pk: name for name, e in effects.items()}
    assert sorted(names[pk] for pk in published) == ["never published", "published, lost", "worker died"]


def test_a_task_that_kills_its_worker_every_time_is_not_run_for_ever(db, settings, renders):
    settings.TASK_MAX_ATTEMPTS = 3
    effect = Effect.objects.create(
        task="kpi_agreements.documents.tasks.render_agreement_document", args=[1], attempts=3
    )
    outbox.run_effect(effect.pk)
    effect.refresh_from_db()
    assert effect.done_at is None and effect.attempts == 3 and "gave up" in effect.last_error
    assert renders == [] and outbox.sweep() == 0


def test_an_administrator_sees_an_effect_that_gave_up_and_runs_it_again(db, client, settings):
    from kpi_agreements.organisation.models import Person

    settings.TASK_MAX_ATTEMPTS = 2
    effect = Effect.objects.create(task="kpi_agreements.workflow.outbox.sweep", attempts=2, last_error="boom")
    client.force_login(Person.objects.create_superuser("root", "root@example.go.th", "x"))
    page = client.get(reverse("admin:workflow_effect_changelist"))
    assert page.status_code == 200 and "boom" in page.content.decode()
    response = client.post(
        reverse("admin:workflow_effect_changelist"), {"action": "run_again", "_selected_action": [effect.pk]}
    )
    assert response.status_code == 302
    effect.refresh_from_db()
    assert effect.done_at is not None and effect.attempts == 1 and effect.last_error == ""


def test_an_invitation_waits_in_the_outbox_without_its_link(
    org, client_for, django_capture_on_commit_callbacks
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.admin).post(
            reverse("person_create"),
            {
                "title": "นาย",
                "first_name": "สมหมาย",
                "last_name": "ทดสอบ",
                "username": "sommai",
                "email": "sommai@example.go.th",
                "unit": org.bureau_a.pk,
                "role": "unit_head",
            },
        )
    assert response.status_code == 302 and mail.outbox == []
    invitation = Invitation.objects.get(person__username="sommai")
    effect = Effect.objects.get(task="kpi_agreements.organisation.tasks.send_invitation")
    assert effect.args == [invitation.pk]  # the token is minted when the e-mail goes, never stored
    with django_capture_on_commit_callbacks(execute=True):
        outbox.sweep()
    assert [m.to for m in mail.outbox] == [["sommai@example.go.th"]]
    path = "/" + mail.outbox[0].body.split("://", 1)[1].split("/", 1)[1].split()[0]
    assert Client().get(path).status_code == 200  # the link works
    outbox.run_effect(effect.pk)
    from kpi_agreements.organisation.tasks import send_invitation

    send_invitation(invitation.pk)  # a duplicate run mails nothing and keeps the link valid
    assert len(mail.outbox) == 1 and Client().get(path).status_code == 200


# --- the embedded default: tasks after the response ----------------------------------------------------


def test_without_a_worker_the_last_signature_answers_before_its_pdf_is_rendered(
    transactional_db, approved, org, renders, settings
):
    settings.TASKS_IN_THREAD = True
    sign(approved, org.head_a)
    renders.gate.clear()  # the PDF takes as long as the test wants
    started = time.monotonic()
    assert sign(approved, org.director).status_code == 302
    assert time.monotonic() - started < 5
    document = AgreementDocument.objects.get(agreement=approved, kind="signed")
    assert document.status in ("pending", "processing")
    page = _read(lambda: _documents_page(approved, org.head_a))
    assert 'hx-trigger="every 2s"' in page  # the list polls until the PDF is there
    renders.gate.set()
    assert wait_until(lambda: _read(lambda: not open_effects().exists()))
    assert _read(lambda: AgreementDocument.objects.get(pk=document.pk).status) == "ready"
    assert renders == [approved.pk]
    assert _read(lambda: not Notice.objects.filter(emailed_at=None).exists())  # the notices went too


def _documents_page(agreement, person):
    client = Client()
    client.force_login(person)
    return client.get(reverse("agreement_documents", args=[agreement.pk])).content.decode()


def _read(query):
    # SQLite's shared in-memory test database locks a table while another connection writes to it.
    for _ in range(50):
        try:
            return query()
        except OperationalError:
            time.sleep(0.1)
    return query()


def test_tests_run_tasks_inline_to_see_their_result():
    from django.conf import settings

    assert settings.TASKS_IN_THREAD is False  # the default under pytest (the embedded default is tested
    # in test_celery_worker.py, in a process of its own)


# --- a real worker and a private Redis that dies ---------------------------------------------------------

PORT = 6390


class PrivateRedis:
    """A Redis of this test's own on another port, so stopping it disturbs nobody (../shared/NOTES.md)."""

    def __init__(self, workdir, port=PORT):
        self.workdir, self.port = workdir, port
        self.url = f"redis://127.0.0.1:{port}/0"

    def _cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True)

    def _wait(self, up: bool):
        for _ in range(100):
            if (self._cli("ping").stdout.strip() == "PONG") == up:
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis on {self.port} did not {'start' if up else 'stop'}")

    def start(self):
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "yes",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            check=True,
            capture_output=True,
        )  # fmt: skip
        self._wait(up=True)

    def stop(self):
        self._cli("shutdown", "nosave")  # nothing kept: the queued messages die with it
        self._wait(up=False)


@pytest.fixture
def broker(tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.stop()  # one left over from an interrupted run
    redis.start()
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    _forget_connections()
    app.conf.update(
        task_always_eager=False, broker_url=redis.url, task_default_queue=f"faults-{uuid.uuid4().hex}"
    )
    try:
        yield redis
    finally:
        app.conf.update(saved)
        _forget_connections()
        redis.stop()


def a_worker():
    from celery.contrib.testing.worker import start_worker

    return start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10)


def wait_until(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.worker
def test_effects_survive_a_dead_broker_and_a_lost_worker(transactional_db, approved, org, renders, broker):
    broker.stop()
    started = time.monotonic()
    assert sign(approved, org.head_a).status_code == 302
    assert sign(approved, org.director).status_code == 302
    assert time.monotonic() - started < 5  # a dead broker does not hold the requests either
    assert Agreement.objects.get(pk=approved.pk).status == "signed"
    document = AgreementDocument.objects.get(agreement=approved, kind="signed")
    assert document.status == "pending" and open_effects().filter(published_at=None).count() == 2

    broker.start()
    with a_worker():
        outbox.sweep.delay()  # as beat sends it
        assert wait_until(lambda: not open_effects().exists()), list(open_effects().values())
    assert renders == [approved.pk]
    assert AgreementDocument.objects.get(pk=document.pk).status == "ready"
    notices = Notice.objects.all()
    assert notices.count() > 0 and not notices.filter(emailed_at=None).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(n.recipient.email for n in notices)
    assert set(Effect.objects.values_list("attempts", flat=True)) == {1}  # each ran exactly once

    # A worker killed mid-render: the row says "processing", its message died with the broker's memory.
    draft = AgreementDocument.objects.create(agreement=approved, version=approved.version, kind="draft")
    long_ago = timezone.now() - timedelta(hours=1)
    Effect.objects.create(
        task="kpi_agreements.documents.tasks.render_agreement_document",
        args=[draft.pk],
        created_at=long_ago,
        published_at=long_ago,
        started_at=long_ago,
        attempts=1,
    )
    AgreementDocument.objects.filter(pk=draft.pk).update(status="processing", created_at=long_ago)
    with a_worker():
        outbox.sweep.delay()
        assert wait_until(lambda: AgreementDocument.objects.get(pk=draft.pk).status == "ready")
    assert renders == [approved.pk, approved.pk] and not open_effects().exists()
