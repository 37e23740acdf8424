"""The staff console's navigation and each role's home page, filled by each package's ``init_app`` hook.

Ground cannot import the areas above it, so they register here::

    nav.add_entry(app, "results", lazy_gettext("Results"), "committee_results.home", order=60)
    nav.set_home(app, ("admin", "committee"), "console.home")

``console_base.html`` (ground/staff/templates) renders the entries the signed-in role may see; an entry whose
endpoint is not (yet) registered is shown as plain text, not a dead link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, request, url_for

EXTENSION = "staff_nav"
COMMITTEE_ROLES = ("admin", "committee")
FALLBACK_HOME = "proctor.dashboard"


@dataclass(frozen=True)
class NavEntry:
    """One link of the console's navigation: who sees it, where it goes, where it sits."""

    key: str
    label: Any  # a lazy_gettext proxy: translated when rendered
    endpoint: str
    roles: tuple[str, ...]
    order: int


@dataclass
class Nav:
    """An app's entries and each role's home endpoint."""

    entries: list[NavEntry] = field(default_factory=list)
    home: dict[str, str] = field(default_factory=dict)


def _nav(app: Flask) -> Nav:
    return app.extensions.setdefault(EXTENSION, Nav())  # type: ignore[no-any-return]


def add_entry(app: Flask, key: str, label: Any, endpoint: str, *, roles: tuple[str, ...] = COMMITTEE_ROLES,
              order: int = 100) -> None:
    """Add (or, by key, replace) a navigation entry."""
    nav = _nav(app)
    nav.entries = [e for e in nav.entries if e.key != key] + [NavEntry(key, label, endpoint, roles, order)]
    nav.entries.sort(key=lambda e: (e.order, e.key))


def set_home(app: Flask, roles: tuple[str, ...], endpoint: str) -> None:
    """Where these roles land after sign-in and on ``/staff/``."""
    for role in roles:
        _nav(app).home[role] = endpoint


def home_url(role: str | None) -> str:
    """The landing page of a role (the proctor dashboard when nothing else was registered)."""
    endpoint = _nav(current_app).home.get(role or "", FALLBACK_HOME)
    return url_for(endpoint if endpoint in current_app.view_functions else FALLBACK_HOME)


def entries_for(role: str) -> list[dict[str, Any]]:
    """The entries this role sees: label, URL (None while its page does not exist), whether it is the current one."""
    out = []
    for e in _nav(current_app).entries:
        if role not in e.roles:
            continue
        url = url_for(e.endpoint) if e.endpoint in current_app.view_functions else None
        here = request.endpoint == e.endpoint or bool(
            url and url.rstrip("/").count("/") > 1 and request.path.startswith(url))
        out.append({"key": e.key, "label": e.label, "url": url, "current": here})
    return out
