"""The bank's tests read messages in their English source form; one test checks the Indonesian catalog."""

import pytest


@pytest.fixture(autouse=True)
def _english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAM_LOCALE", "en")
