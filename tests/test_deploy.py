"""Deployment: the compose file, the production settings, and the processes of docs/deploy.md started by hand.

Every command runs in a subprocess with the environment production uses (HTTPS=true), so nothing here
reads or changes the settings of the pytest process. No test requests the ``db`` fixture: when
DATABASE_URL is set, the hand-started processes get a scratch database of their own, created and
dropped here, never the test database pytest-django makes.
"""

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
HOST = "kpi.example.go.th"
STARTUP_SECONDS = 30


def production_env(**extra: str) -> dict[str, str]:
    """The process environment of a production deployment (compose sets the same variables)."""
    # Only what any process needs from ours: the test process sets variables of its own
    # (DJANGO_ALLOW_ASYNC_UNSAFE in conftest.py) that a deployment must not have.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="kpi_agreements.settings",
        HTTPS="true",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        SITE_URL=f"https://{HOST}",
        STATIC_MANIFEST="true",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# What the Compose specification allows, so that a misspelt key fails here as `docker compose config` would
# fail it; the file is read with PyYAML, and neither Docker nor a Compose client is needed.
TOP_LEVEL_KEYS = {"name", "services", "networks", "volumes", "configs", "secrets"}
SERVICE_KEYS = set(
    """annotations attach blkio_config build cap_add cap_drop cgroup_parent command configs container_name
    cpu_count cpus depends_on deploy develop devices dns dns_search domainname entrypoint env_file environment
    expose extends external_links extra_hosts group_add healthcheck hostname image init ipc labels links
    logging mem_limit network_mode networks pid platform ports privileged profiles pull_policy read_only
    restart scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal sysctls tmpfs tty
    ulimits user userns_mode volumes volumes_from working_dir""".split()
)
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}
DURATION = re.compile(r"(\d+(\.\d+)?(us|ms|s|m|h))+")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
RESTART = {"no", "always", "on-failure", "unless-stopped"}
SERVICES = {"db", "redis", "web", "worker", "beat"}
APP = ("web", "worker", "beat")


class ComposeLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; Compose refuses the file, and so does this loader."""

    def construct_mapping(self, node, deep=False):
        keys = [key.value for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge"]
        if twice := sorted({key for key in keys if keys.count(key) > 1}):
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {twice}", node.start_mark)
        return super().construct_mapping(node, deep)


def compose_file() -> tuple[dict, list[str]]:
    """docker-compose.yml as Compose reads it with no environment and no .env file (merge keys applied,
    each variable replaced by its default), and the variables it found without a default."""
    missing: list[str] = []

    def variable(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        default = re.fullmatch(r"\$\{[A-Za-z_]\w*:?-(.*)\}", match.group(0), re.DOTALL)
        if default is None:  # $NAME, ${NAME} or ${NAME:?error}
            missing.append(match.group(0))
            return ""
        return default.group(1)

    def interpolate(node):
        if isinstance(node, dict):
            return {key: interpolate(value) for key, value in node.items()}
        if isinstance(node, list):
            return [interpolate(value) for value in node]
        if isinstance(node, str):
            return re.sub(r"\$(\$|\{[^}]*\}|[A-Za-z_]\w*)?", variable, node)
        return node

    return interpolate(yaml.load(COMPOSE_FILE.read_text(), Loader=ComposeLoader)), missing


def test_compose_file_is_valid_without_an_env_file():
    compose, missing = compose_file()
    assert missing == [], "every variable Compose interpolates needs a default (${NAME:-value})"
    assert {key for key in compose if not key.startswith("x-")} <= TOP_LEVEL_KEYS
    assert set(compose["services"]) == SERVICES
    for name, service in compose["services"].items():
        assert set(service) <= SERVICE_KEYS, (name, set(service) - SERVICE_KEYS)
        assert service.get("image") or service.get("build"), name
        # Unquoted, YAML reads `no` as false and 22:22 as a number; Compose wants strings.
        assert service.get("restart", "no") in RESTART, name
        assert all(isinstance(port, str) for port in service.get("ports", [])), name
        environment = service.get("environment", {})
        assert isinstance(environment, dict), name
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in environment.items()), name


def test_the_app_services_run_their_process_against_db_and_redis_once_healthy():
    services = compose_file()[0]["services"]
    web = " ".join(services["web"]["command"])
    assert re.search(r"manage\.py migrate --noinput && exec gunicorn kpi_agreements\.wsgi:application", web)
    assert services["worker"]["command"][:4] == ["celery", "-A", "kpi_agreements", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "kpi_agreements", "beat"]
    # The image runs as an unprivileged user who may write only to /tmp and the media volume.
    assert services["beat"]["command"][-2:] == ["--schedule", "/tmp/celerybeat-schedule"]
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]  # only the TLS proxy on this host reaches it
    for name in APP:
        env = services[name]["environment"]
        assert (env["DEBUG"], env["HTTPS"], env["STATIC_MANIFEST"]) == ("false", "true", "true"), name
        assert urlsplit(env["DATABASE_URL"]).hostname == "db", name
        assert urlsplit(env["REDIS_URL"]).hostname == "redis", name
        assert env["SECRET_KEY"].startswith("change-me"), "the placeholder the image's entrypoint refuses"
        assert services[name]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }


def test_health_checks_depends_on_and_volumes_are_well_formed():
    compose = compose_file()[0]
    services = compose["services"]
    media_root = re.search(r"MEDIA_ROOT=(\S+)", (ROOT / "Dockerfile").read_text()).group(1)
    for name, service in services.items():
        for other, condition in service.get("depends_on", {}).items():
            assert other in services and condition["condition"] in CONDITIONS, (name, other)
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[other], f"{name} waits for {other}'s missing health check"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith((".", "/")) or source in compose["volumes"], (name, volume)
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    for name in APP:
        assert f"media:{media_root}" in services[name]["volumes"], name
    for name in ("db", "redis", "web", "worker"):
        check = services[name]["healthcheck"]
        assert set(check) <= HEALTHCHECK_KEYS and check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert all(isinstance(part, str) for part in check["test"]), name
        assert isinstance(check["retries"], int) and check["retries"] > 0, name
        for key in ("interval", "timeout", "start_period"):
            assert key not in check or DURATION.fullmatch(check[key]), (name, key, check.get(key))


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


# The key this project embedded until issue 8: public, so it must never sign anything outside development.
DEVELOPMENT_KEY = "insecure-development-key-only-for-the-embedded-default-do-not-deploy"


@pytest.mark.parametrize("https", ["false", "true"])
@pytest.mark.parametrize("key", [DEVELOPMENT_KEY, "short-key", "change-me-set-SECRET_KEY-in-.env" + "x" * 30])
def test_debug_false_refuses_a_development_or_weak_key_whatever_https_says(tmp_path, https, key):
    env = production_env(HTTPS=https, SECRET_KEY=key, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = manage("check", env=env)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured: SECRET_KEY is a development placeholder" in result.stderr, result.stderr


def test_debug_true_may_use_a_development_key(tmp_path):
    env = production_env(
        HTTPS="false", DEBUG="true", SECRET_KEY=DEVELOPMENT_KEY, DATABASE_URL=f"sqlite:///{tmp_path / 'db'}"
    )
    result = manage("check", env=env)
    assert result.returncode == 0, result.stderr


def test_production_without_a_key_refuses_to_start(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr, result.stderr


def test_the_embedded_default_signs_with_a_random_key_kept_in_var(tmp_path):
    """`make run` and the tests set no key: each checkout gets its own, the same for every process."""
    env = production_env(HTTPS="false", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    del env["SECRET_KEY"]
    show = "from django.conf import settings; print(settings.SECRET_KEY)"
    keys = {manage("shell", "--no-imports", "-c", show, env=env).stdout.strip() for _ in range(2)}
    assert keys == {(ROOT / "var" / "secret_key").read_text().strip()}
    (key,) = keys
    assert len(key) >= 50 and DEVELOPMENT_KEY not in key


def test_the_local_key_file_is_private_and_written_once(tmp_path):
    from kpi_agreements.core.secret_key import is_weak_secret_key, local_secret_key

    path = tmp_path / "var" / "secret_key"
    first = local_secret_key(path)
    assert local_secret_key(path) == first and not is_weak_secret_key(first)
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no draft left behind


def test_collectstatic_manifest_resolves_every_reference(tmp_path):
    """The image runs collectstatic with STATIC_MANIFEST=true; a dangling url() in a CSS file breaks it.

    Django's ManifestStaticFilesStorage does the same hashing and reference rewriting as whitenoise's
    CompressedManifestStaticFilesStorage, without the slow compression, into a STATIC_ROOT in tmp_path.
    """
    (tmp_path / "deploy_static_settings.py").write_text(
        textwrap.dedent(
            f"""\
            from kpi_agreements.settings import *  # noqa: F403

            STATIC_ROOT = {str(tmp_path / "staticfiles")!r}
            STORAGES = {{
                **STORAGES,  # noqa: F405
                "staticfiles": {{"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}},
            }}
            """
        )
    )
    # As in the Dockerfile: STATIC_MANIFEST=true, HTTPS unset, no SECRET_KEY.
    env = production_env(
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    for key in ("HTTPS", "SECRET_KEY"):
        del env[key]
    result = manage("collectstatic", "--noinput", "--settings", "deploy_static_settings", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles" / "staticfiles.json").is_file()


@pytest.fixture
def scratch_database_url(tmp_path) -> Iterator[str]:
    """A database for the hand-started processes: a scratch PostgreSQL database next to the one in
    DATABASE_URL (created and dropped here), else a SQLite file in tmp_path."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    parts = urlsplit(url)
    name = f"kpi_deploy_test_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def compose_web_probe(port: int) -> str:
    """The Python code of the web service's healthcheck in docker-compose.yml, aimed at ``port``."""
    text = COMPOSE_FILE.read_text()
    match = re.search(r"^( *)# probe: begin\n(.*?)^\1# probe: end$", text, re.MULTILINE | re.DOTALL)
    assert match, "docker-compose.yml: the web healthcheck code between '# probe: begin/end' is missing"
    code = textwrap.dedent(match.group(2))
    assert "http://127.0.0.1:8000/healthz/" in code
    return code.replace("127.0.0.1:8000", f"127.0.0.1:{port}")


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name}: no output)"
    return f"--- {path.name} ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            pass
    # Its own session (start_new_session): this also ends gunicorn's and celery's child processes.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def test_processes_started_by_hand_serve_and_answer(tmp_path, scratch_database_url):
    """docs/deploy.md 'by hand': migrate, then gunicorn, a celery worker and celery beat, with HTTPS=true."""
    port = free_port()
    node = f"deploytest{os.getpid()}@localhost"
    env = production_env(
        DATABASE_URL=scratch_database_url,
        REDIS_URL=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
        # /healthz/ renders no template, so no collectstatic is needed (the test above covers it).
        STATIC_MANIFEST="false",
        # gunicorn 27 opens a control socket in ~/.gunicorn: one of our own, not the user's.
        HOME=str(tmp_path / "home"),
    )
    (tmp_path / "home").mkdir()

    migrated = manage("migrate", "--noinput", env=env, timeout=120)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    commands = {
        "gunicorn": [
            str(BIN / "gunicorn"),
            "kpi_agreements.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            "-",
        ],
        # Its own node name and queue: on a shared broker it answers only our ping and takes no
        # task meant for another test's worker (which would run it against the wrong database).
        "worker": [
            str(BIN / "celery"),
            "-A",
            "kpi_agreements",
            "worker",
            "-l",
            "info",
            "-c",
            "1",
            "-n",
            node,
            "-Q",
            f"deploytest{os.getpid()}",
        ],
        "beat": [
            str(BIN / "celery"),
            "-A",
            "kpi_agreements",
            "beat",
            "-l",
            "info",
            "--schedule",
            str(tmp_path / "celerybeat-schedule"),
        ],
    }
    logs = {name: tmp_path / f"{name}.log" for name in commands}
    processes: dict[str, subprocess.Popen] = {}

    def report() -> str:
        return "\n".join(tail(log) for log in logs.values())

    try:
        for name, command in commands.items():
            with logs[name].open("w") as log:
                processes[name] = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

        # /healthz/ as the TLS proxy forwards it: 200 with HSTS.
        deadline = time.monotonic() + STARTUP_SECONDS
        response = None
        while response is None:
            for name, process in processes.items():
                assert process.poll() is None, f"{name} exited with {process.returncode}\n{report()}"
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", "/healthz/", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
                reply = connection.getresponse()
                response = (reply.status, dict(reply.getheaders()), reply.read())
            except OSError:
                assert time.monotonic() < deadline, f"gunicorn did not answer /healthz/\n{report()}"
                time.sleep(0.3)
            finally:
                connection.close()
        status, headers, body = response
        assert status == 200, f"{status} {body!r}\n{report()}"
        assert body == b'{"status": "ok"}'
        assert headers.get("Strict-Transport-Security", "").startswith("max-age=")

        # Plain http, not through the proxy: redirected to https.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz/", headers={"Host": HOST})
            reply = connection.getresponse()
            reply.read()
            assert reply.status == 301
            assert reply.getheader("Location") == f"https://{HOST}/healthz/"
        finally:
            connection.close()

        # The compose healthcheck of `web`, run as compose runs it.
        probe = subprocess.run(
            [sys.executable, "-c", compose_web_probe(port)],
            env={**env, "ALLOWED_HOSTS": HOST},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert probe.returncode == 0, probe.stdout + probe.stderr

        # The worker answers a ping over Redis.
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert processes["worker"].poll() is None, f"worker exited\n{report()}"
            ping = subprocess.run(
                [str(BIN / "celery"), "-A", "kpi_agreements", "inspect", "ping"]
                + ["-d", node, "--timeout", "2"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
            )
            if ping.returncode == 0 and "pong" in ping.stdout:
                break
            assert time.monotonic() < deadline, f"no pong from {node}\n{ping.stdout}{ping.stderr}\n{report()}"
            time.sleep(0.5)

        # Beat is still up and keeps its schedule where it was told to (a writable path).
        assert processes["beat"].poll() is None, f"beat exited\n{report()}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while not list(tmp_path.glob("celerybeat-schedule*")):
            assert time.monotonic() < deadline, f"beat wrote no schedule file\n{report()}"
            time.sleep(0.3)
    finally:
        for process in processes.values():
            stop(process)

    # A clean stop: gunicorn and the worker shut down on SIGTERM (what `docker compose stop` sends).
    for name in ("gunicorn", "worker"):
        assert processes[name].returncode == 0, f"{name} exited with {processes[name].returncode}\n{report()}"
