"""Translations for every face: Flask-Babel inside a request, the default locale's catalog elsewhere (CLI)."""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DEFAULT_LOCALE = "id"
LOCALES = ("id", "en")


@lru_cache(maxsize=8)
def _catalog(locale: str) -> NullTranslations:
    """Load ``translations/<locale>/LC_MESSAGES/messages.po`` straight from the .po (no build step)."""
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def current_locale() -> str:
    """The request's locale inside Flask, else ``EXAM_LOCALE`` (default Bahasa Indonesia)."""
    try:
        from flask import has_request_context

        if has_request_context():
            from flask_babel import get_locale

            loc = get_locale()
            if loc is not None:
                return str(loc)
    except ImportError:  # plain-library use without Flask installed
        pass
    return current_default()


def current_default() -> str:
    """The installation's locale: ``EXAM_LOCALE`` when it names a known one, else Bahasa Indonesia."""
    env = os.environ.get("EXAM_LOCALE")
    return env if env in LOCALES else DEFAULT_LOCALE


def gettext(message: str, **variables: object) -> str:
    """Translate ``message`` and fill ``%(name)s`` placeholders."""
    text = _catalog(current_locale()).gettext(message)
    return text % variables if variables else text


def lazy_gettext(message: str, **variables: object) -> LazyProxy:
    """Translate when rendered, for module-level strings."""
    return LazyProxy(gettext, message, **variables, enable_cache=False)


_ = gettext
