"""Run one benchmark script for ``make bench``: its output shown as it comes and appended to a log.

Usage: python bench/run.py LOG SCRIPT [ARGS...]   (SCRIPT is a file name in bench/)

The log (``var/bench-last.txt``) keeps the last run of every script, headed by the date ``make bench`` wrote;
the README's benchmark section quotes it. A script that fails is noted in the log, and its exit status is
returned, so make stops there.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOISE = ("AXES:",)  # django-axes announces itself on start-up


def main() -> int:
    log, script, *args = sys.argv[1:]
    command = [sys.executable, "-u", str(HERE / script), *args]
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n== {script} {' '.join(args)}\n")
        out.flush()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            if line.startswith(NOISE):
                continue
            sys.stdout.write(line)
            out.write(line)
        status = process.wait()
        if status:
            out.write(f"!! {script} exited with status {status}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
