"""The secret key of the embedded default; imported by settings, so it imports nothing of Django."""

import os
import secrets
from pathlib import Path


def local_secret_key(path: Path) -> str:
    """A random key generated once per checkout and kept in ``path`` (var/ is never committed)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Several processes may start at once (pytest-xdist, gunicorn workers): write aside, then link into
    # place, which fails if another process won; everyone then reads the winner's key.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(secrets.token_urlsafe(50))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


def is_weak_secret_key(key: str) -> bool:
    # Django's own test for a weak key (check --deploy, security.W009), plus the placeholders this project
    # has shipped: the former embedded development key and docker-compose.yml's "change-me".
    return (
        len(key) < 50
        or len(set(key)) < 5
        or key.startswith(("django-insecure-", "insecure-development-key", "change-me"))
    )
