"""Side effects that survive a dead broker: the transactional outbox and its sweeper (ADR 0005).

A service calls ``enqueue(task, *args)`` inside its transaction. The effect's row commits with the change or
not at all; after the commit it is published to Celery, and a failure to publish is only logged, because the
sweeper (a beat task) publishes again whatever was never published, failed, or was left unfinished past
``TASK_STUCK_MINUTES``. ``run_effect`` runs the task and marks the row done, so a duplicate delivery does
nothing; each task keeps its own idempotency too, for the rare run that overlaps another.
"""

import logging
import threading
from collections import deque
from datetime import timedelta
from importlib import import_module

from celery import current_app, shared_task
from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Effect

logger = logging.getLogger(__name__)
BATCH = 500  # effects published per sweep; the next sweep takes the rest
# One quick retry, for a pooled connection gone stale; a dead broker is the sweeper's to cover, not the
# request's to wait for.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


def enqueue(task, *args) -> Effect:
    """Record ``task(*args)`` in the caller's transaction; it is published once that commits."""
    effect = Effect.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: publish(effect.pk), robust=True)  # the change is committed: never a 500
    return effect


def publish(effect_id: int) -> None:
    Effect.objects.filter(pk=effect_id).update(published_at=timezone.now())
    if settings.TASKS_IN_THREAD and current_app.conf.task_always_eager:
        _run_later(effect_id)
        return
    try:
        run_effect.apply_async((effect_id,), retry_policy=PUBLISH_RETRY)
    except Exception:
        logger.exception("Publishing side effect %s failed; the sweeper will publish it again", effect_id)
        Effect.objects.filter(pk=effect_id).update(published_at=None)


# The embedded default has no worker: effects run one after another in a background thread of the web
# process, after the response rather than inside it, so the last signature is not held while its PDF renders.
_pending: deque[int] = deque()
_lock = threading.Lock()
_runner: threading.Thread | None = None


def _run_later(effect_id: int) -> None:
    global _runner
    with _lock:
        _pending.append(effect_id)
        if _runner is None:
            # Not a daemon: a management command or a stopping server finishes what it owes before exiting.
            _runner = threading.Thread(target=_drain, name="side-effects", daemon=False)
            _runner.start()


def _drain() -> None:
    global _runner
    while True:
        with _lock:
            if not _pending:
                _runner = None
                return
            effect_id = _pending.popleft()
        try:
            run_effect(effect_id)
        except Exception:
            logger.exception("Side effect %s could not be run", effect_id)
        finally:
            connections.close_all()  # this thread's own connections


def _task(name: str):
    if name not in current_app.tasks:
        import_module(name.rpartition(".")[0])  # a shared task registers when its module is imported
    return current_app.tasks[name]


# Acknowledged after it ran, and put back in the queue if its worker dies mid-task (a render killed by a
# deploy or the OOM killer): the row is not done, so the redelivery runs it.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_effect(effect_id: int) -> None:
    """Run one recorded effect once. A failure is kept on the row and left for the sweeper."""
    effect = Effect.objects.filter(pk=effect_id, done_at__isnull=True).first()
    if effect is None:
        return  # gone, or done by an earlier delivery
    if effect.attempts >= settings.TASK_MAX_ATTEMPTS:
        # Left for an administrator: a task that kills its worker every time is not redelivered for ever.
        error = effect.last_error or f"gave up after {effect.attempts} attempts"
        Effect.objects.filter(pk=effect.pk).update(published_at=None, started_at=None, last_error=error)
        return
    Effect.objects.filter(pk=effect.pk).update(started_at=timezone.now(), attempts=F("attempts") + 1)
    try:
        _task(effect.task)(*effect.args)
    except Exception as exc:
        logger.exception("Side effect %s (%s) failed; the sweeper will try again", effect.pk, effect.task)
        Effect.objects.filter(pk=effect.pk).update(
            published_at=None, started_at=None, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return
    Effect.objects.filter(pk=effect.pk).update(done_at=timezone.now(), last_error="")


@shared_task
def sweep() -> int:
    """Publish again every effect never published (broker down), failed, or stuck past the time limit
    (its message lost with a broker, or its worker killed mid-task)."""
    stuck = timezone.now() - timedelta(minutes=settings.TASK_STUCK_MINUTES)
    lost = Q(published_at__lt=stuck) & (Q(started_at__isnull=True) | Q(started_at__lt=stuck))
    due = Effect.objects.filter(
        Q(published_at__isnull=True) | lost, done_at__isnull=True, attempts__lt=settings.TASK_MAX_ATTEMPTS
    ).order_by("created_at")
    ids = list(due.values_list("pk", flat=True)[:BATCH])
    for pk in ids:
        publish(pk)
    if ids:
        logger.info("Sweeper published %d side effects again", len(ids))
    return len(ids)
