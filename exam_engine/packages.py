"""The one list of the project's packages, bottom up: the app factory and the CLI ask each for what it adds.

Each package may have a ``hooks`` module with any of ``init_app(app, rt)`` (blueprints, namespaces),
``register_commands(group)`` (``exam-engine`` sub-commands) and ``start(app)`` (a serving process's background
tasks). Only the top (this package) knows every package; nobody imports the top.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

PACKAGES = ("ground", "question_bank", "scoring", "candidate", "proctor", "registration", "assessment",
            "committee")


def hooks(name: str) -> Iterator[Callable[..., Any]]:
    """Each package's hook ``name`` that it defines, in the order of PACKAGES."""
    for package in PACKAGES:
        module: ModuleType = importlib.import_module(f"{package}.hooks")
        hook = getattr(module, name, None)
        if hook is not None:
            yield hook
