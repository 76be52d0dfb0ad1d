"""The e2e server's instance from the test process's side: the environment of a CLI child that works on the live
server's database (`flask outbox`, the seeding modules), and seeding through such a child. The folder itself is
the `live_instance` fixture (tests/e2e/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.live_server import ROOT

SECRET_KEY = "e2e-secret-key-not-for-production"  # noqa: S105 (a throw-away test server's)


def cli_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EVENTHUB_CONFIG")}
    env.update(EVENTHUB_INSTANCE_DIR=str(instance), SECRET_KEY=SECRET_KEY)
    return env


def seed(instance: Path, module: str) -> dict:
    """Run `python -m <module> <stamp>` against the live server's database; its last line, parsed (JSON)."""
    done = subprocess.run([sys.executable, "-m", module, str(time.time_ns())[-8:]], cwd=ROOT, env=cli_env(instance),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
