"""A real worker process killed with SIGKILL in the middle of a PDF render (issue 9): after a restart and a
sweep the document is finished, once.

Everything runs in processes of its own — the application on a SQLite file, a private Redis on port 6391, the
worker started with ``celery worker`` — because a worker living in the test's process cannot be killed.
"""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import manage_in, wait_for
from tests.test_faults import PrivateRedis

ROOT = Path(__file__).resolve().parent.parent
REQUEST_DRAFT = """
from kpi_agreements.agreements.models import Agreement
from kpi_agreements.documents.services import document_request
agreement = Agreement.objects.get(unit__abbreviation="สบก.", fiscal_year__is_current=True)
print(document_request(agreement=agreement, kind="draft", user=None).pk)
"""
SWEEP = "from kpi_agreements.workflow.outbox import sweep; print(sweep())"


@pytest.mark.worker
def test_a_worker_killed_mid_render_is_replaced_and_the_document_finished_once(tmp_path):
    redis = PrivateRedis(tmp_path, port=6391)
    redis.stop()
    redis.start()
    db = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "REDIS_URL": redis.url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "TASK_STUCK_MINUTES": "0",  # everything started before the sweep counts as lost
        "DEBUG": "false",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    manage = manage_in(env)

    def query(sql):
        with sqlite3.connect(db) as conn:
            return conn.execute(sql).fetchone()

    def status(pk):
        with sqlite3.connect(db) as conn:
            return conn.execute(
                "select status from documents_agreementdocument where id = ?", [pk]
            ).fetchone()[0]

    def worker():
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kpi_agreements", "worker", "--pool=solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    workers = []
    try:
        manage("migrate", "-v", "0")
        manage("seed_demo", "-v", "0")
        pk = int(manage("shell", "-c", REQUEST_DRAFT))
        assert status(pk) == "pending"
        workers.append(worker())
        # The render marks the row "processing", then loads WeasyPrint: a second or more to strike in.
        wait_for(lambda: status(pk) == "processing", what="the render to start")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        assert status(pk) == "processing"  # left half done, as a dead worker leaves it

        workers.append(worker())
        assert manage("shell", "-c", SWEEP) != "0"
        wait_for(lambda: status(pk) == "ready", what="the document to be finished")
        # The demo's own notices and e-mails are side effects too: the restarted worker finishes them all.
        wait_for(lambda: query("select count(*) from workflow_effect where done_at is null")[0] == 0,
                 what="every side effect done")  # fmt: skip
        rows = query("select count(*), max(sha256) from documents_agreementdocument")
        assert rows[0] == 1 and len(rows[1]) == 64
        assert list((tmp_path / "media").rglob("*.pdf"))
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGKILL)
                w.wait(10)
        redis.stop()
