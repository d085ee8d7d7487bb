"""The invitation e-mail travels through the real Redis broker to a real Celery worker."""

import os
import time
import uuid

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
