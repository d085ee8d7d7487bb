"""A due reminder goes end to end through a real worker with its embedded beat, on a private Redis, to a real
SMTP server (issue 11): the task named in the beat schedule is sent to the broker, the worker runs it, the
digest e-mail is queued through the outbox, published to the broker and sent, once.

Everything runs in processes of its own, as in tests/test_worker_killed.py: the application on a SQLite file,
a private Redis on port 6393, the worker started with ``celery worker --beat``. The e-mail crosses processes
over SMTP to a small server in this test (locmem does not cross processes).
"""

import email
import email.policy
import os
import socketserver
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.processes import manage_in, wait_for
from tests.test_celery_worker import django_like_a_worker
from tests.test_faults import PrivateRedis

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2027-04-29T08:30:00+07:00"  # one working day before FY 2570's 6-month deadline, Fri 30 Apr 2027
SETUP = """
from kpi_agreements.agreements.models import Dimension
from kpi_agreements.agreements.services import drafting
from kpi_agreements.fiscal.services import fiscal_year_create
from kpi_agreements.organisation import services
from kpi_agreements.organisation.models import Person, Role, RoleAssignment, Unit, UnitType
from tests.factories import add_kpi, open_report, sign

kind = UnitType.objects.create(code="bureau", name_th="สำนัก")
unit = services.unit_create(parent=None, name_th="สำนักทดสอบ", abbreviation="สท.", unit_type=kind)
head = Person.objects.create(username="head", first_name="สมศรี", email="head@example.go.th")
RoleAssignment.objects.create(person=head, unit=unit, role=Role.UNIT_HEAD)
Unit.objects.filter(pk=unit.pk).update(head=head)
year = fiscal_year_create(be_year=2570, make_current=True)
dimension = Dimension.objects.create(fiscal_year=year, order=1, name_th="ประสิทธิผล", weight=100)
agreement = drafting.agreements_create(fiscal_year=year, units=[Unit.objects.get(pk=unit.pk)])[0]
add_kpi(agreement, dimension, "100", "ตัวชี้วัดเดียว")  # no collector nor supervisor: the head alone is told
print(open_report(sign(agreement), 6).pk)
"""
SEND = f"""
from django.conf import settings
from kpi_agreements.celery import app
name = settings.CELERY_BEAT_SCHEDULE["send-reminders"]["task"]
app.send_task(name, kwargs={{"as_of": "{AS_OF}"}})
print(name)
"""


class SMTPSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP for Django's backend: every message received is kept, parsed."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.messages = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def close(self):
        self.shutdown()
        self.server_close()


class SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str):
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        self.reply("220 sink")
        recipients = []
        while line := self.rfile.readline():
            verb = line[:4].decode("ascii", "replace").upper()
            if verb == "DATA":
                self.reply("354 end with a dot")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                message = email.message_from_bytes(b"".join(data), policy=email.policy.default)
                self.server.messages.append((recipients, message))
                recipients = []
                self.reply("250 queued")
            elif verb == "RCPT":
                recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # EHLO, HELO, MAIL, RSET, NOOP
                self.reply("250 ok")


@pytest.mark.worker
def test_a_due_reminder_is_emailed_once_by_a_real_worker_and_beat_on_redis(tmp_path):
    redis = PrivateRedis(tmp_path, port=6393)
    redis.stop()  # one left over from an interrupted run
    redis.start()
    sink = SMTPSink()
    db = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "REDIS_URL": redis.url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "EMAIL_USE_TLS": "false",
        "SITE_URL": "https://kpi.example.go.th",
        "DEBUG": "false",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    manage = manage_in(env)

    def query(sql):
        with sqlite3.connect(db) as conn:
            return conn.execute(sql).fetchone()

    def reminder_mails():
        return [(to, m) for to, m in sink.messages if "29 เม.ย. 2570" in m["subject"]]

    worker = None
    try:
        manage("migrate", "-v", "0")
        report = int(manage("shell", "-c", SETUP))
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kpi_agreements", "worker", "--beat",
             "--schedule", str(tmp_path / "beat-schedule"), "--pool=solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert manage("shell", "-c", SEND) == "kpi_agreements.reminders.tasks.send_reminders"
        wait_for(lambda: reminder_mails(), what="the reminder e-mail")
        [(to, message)] = reminder_mails()
        assert to == ["head@example.go.th"]
        body = message.get_content()
        assert "30 เม.ย. 2570" in body  # the deadline in B.E.
        assert f"https://kpi.example.go.th/reports/{report}/" in body
        assert query("select count(*) from reminders_reminderlog where status = 'sent'") == (1,)

        # The beat firing twice (or a retried task) sends nothing again.
        manage("shell", "-c", SEND)
        wait_for(
            lambda: query("select count(*) from reminders_reminderrun where finished_at is not null") == (2,),
            what="the second run",
        )
        wait_for(
            lambda: query("select count(*) from workflow_effect where done_at is null") == (0,),
            what="every side effect done",
        )
        assert query("select sent from reminders_reminderrun order by id desc") == (0,)
        assert len(reminder_mails()) == 1
        assert query("select count(*) from reminders_reminderdigest where sent_at is not null") == (1,)
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)
        sink.close()
        redis.stop()


def test_a_worker_knows_the_reminder_tasks_without_the_url_configuration():
    # Registered by the app's ready(), before Celery's autodiscovery (whose checks load the URLs anyway).
    seen = django_like_a_worker(
        "from kpi_agreements.celery import app\n"
        "print(json.dumps({'tasks': sorted(app.tasks), 'urls': 'kpi_agreements.urls' in sys.modules}))"
    )
    assert {
        "kpi_agreements.reminders.tasks.send_reminders",
        "kpi_agreements.reminders.tasks.send_reminder_digest",
    } <= set(seen["tasks"])
    assert seen["urls"] is False
