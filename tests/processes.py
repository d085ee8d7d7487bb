"""Helpers for the tests that run the application in processes of their own (a real worker, beat, Redis)."""

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition, seconds=90, what="", every=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def manage_in(env: dict):
    """``manage(*args)``: run manage.py with ``env``; it must succeed; returns its last line of output."""

    def manage(*args):
        out = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""

    return manage
