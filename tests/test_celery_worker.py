"""The invitation e-mail travels through the real Redis broker to a real Celery worker; a worker process,
which never loads the URL configuration, still knows every task, addresser and scheduled sweep."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from kpi_agreements.celery import app


@pytest.fixture
def real_worker():
    from celery.contrib.testing.worker import start_worker

    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    _forget_connections()
    app.conf.update(
        task_always_eager=False,
        broker_url=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
        # A queue of our own, so nothing left over from another run is picked up.
        task_default_queue=f"test-{uuid.uuid4().hex}",
    )
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        _forget_connections()


def _forget_connections():
    """Drop the pools and queues an earlier test built for the in-memory broker; they are rebuilt lazily."""
    app._pool = None
    app.__dict__.pop("amqp", None)


@pytest.mark.worker
def test_invitation_email_is_delivered_by_a_real_worker(transactional_db, org, client_for, real_worker):
    client = client_for(org.admin)
    response = client.post(
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
    assert response.status_code == 302
    deadline = time.monotonic() + 30
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m.to for m in mail.outbox] == [["sommai@example.go.th"]]
    assert "/accounts/invitation/" in mail.outbox[0].body


def django_like_a_worker(code: str, **env) -> dict:
    """Run ``code`` after ``django.setup()`` alone, as Celery's worker and beat start (no URLconf, no checks);
    it prints one JSON object."""
    script = "import django, json, sys; django.setup()\n" + code
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kpi_agreements.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_worker_knows_every_addresser_and_task_without_the_url_configuration():
    seen = django_like_a_worker(
        "from kpi_agreements.workflow.notify import ADDRESSERS\n"
        "seen = {'addressers': sorted(ADDRESSERS), 'urls': 'kpi_agreements.urls' in sys.modules}\n"
        "from kpi_agreements.celery import app\n"
        "app.loader.import_default_modules()  # as the worker starts: autodiscovers tasks.py\n"
        "print(json.dumps({**seen, 'tasks': sorted(app.tasks)}))"
    )
    assert {"agreements.Agreement", "agreements.ChangeRequest"} <= set(seen["addressers"])
    assert {
        "kpi_agreements.workflow.outbox.run_effect",
        "kpi_agreements.workflow.outbox.sweep",
        "kpi_agreements.workflow.notify.send_step_notices",
        "kpi_agreements.workflow.notify.send_notice_email",
        "kpi_agreements.documents.tasks.render_agreement_document",
        "kpi_agreements.organisation.tasks.send_invitation",
    } <= set(seen["tasks"])
    assert seen["urls"] is False  # registered by the apps themselves, not as a side effect of the URLs


def test_the_beat_schedule_is_data_in_one_time_zone_and_the_environment_sets_its_periods():
    code = (
        "from django.conf import settings\n"
        "from kpi_agreements.celery import app\n"
        "entry = app.conf.beat_schedule['sweep-side-effects']\n"
        "print(json.dumps({'task': entry['task'], 'every': entry['schedule'], 'celery': app.conf.timezone,"
        " 'django': settings.TIME_ZONE, 'stuck': settings.TASK_STUCK_MINUTES,"
        " 'in_thread': settings.TASKS_IN_THREAD}))"
    )
    default = django_like_a_worker(code, SWEEP_EVERY_SECONDS="", TASK_STUCK_MINUTES="", REDIS_URL="")
    assert default == {
        "task": "kpi_agreements.workflow.outbox.sweep",
        "every": 60,
        "celery": "Asia/Bangkok",
        "django": "Asia/Bangkok",
        "stuck": 10,
        "in_thread": True,  # nothing configured: tasks run after the response, in a thread
    }
    tuned = django_like_a_worker(
        code, SWEEP_EVERY_SECONDS="15", TASK_STUCK_MINUTES="3", REDIS_URL="redis://127.0.0.1:6379/15"
    )
    assert (tuned["every"], tuned["stuck"], tuned["in_thread"]) == (15, 3, False)
