"""EventHub: hybrid conferences — registration, tickets, scheduling, check-in and live Q&A.

The package itself imports nothing heavy: `python -m eventhub` must monkey-patch gevent before Flask, SQLAlchemy
or ssl are imported. `create_app` lives in eventhub/app.py and is loaded on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        return importlib.import_module("eventhub.app").create_app
    raise AttributeError(f"module 'eventhub' has no attribute {name!r}")
