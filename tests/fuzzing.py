"""Hostile values shared by the fuzz tests (HTTP routes and Socket.IO events), so both probe the same edges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

# integers at the edges a server must refuse or carry: 64-bit and database limits, the seq bound, negatives
EDGE_INTS = (0, -1, -5, 1, 2**31 - 1, 2**31, 2**53 + 1, 2**62, 2**62 + 1, 2**63 - 1, 2**63, 2**64, 2**80,
             -(2**63) - 1, -(2**80))
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.sampled_from(EDGE_INTS)
           | st.floats(allow_nan=False) | st.text(max_size=40))
HTTP_KEYS = ("username", "password", "participant_no", "pin", "room_token", "receipt", "stage", "format", "x")
path_values = st.integers(min_value=-(2**70), max_value=2**70).map(str) | st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), min_size=1, max_size=20)
# long text that still fits a Socket.IO message (the server takes 64 KiB; JSON writes "é" as six bytes)
long_texts = st.integers(min_value=400, max_value=2_000).map(lambda n: "é" * n)


def json_values(keys: Sequence[str]) -> st.SearchStrategy[Any]:
    """Arbitrary JSON whose objects often use ``keys`` (the fields the receiving side reads), so it gets past the
    first check now and then."""
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(list(keys)) | st.text(max_size=8), inner, max_size=5), max_leaves=20)


def nested(levels: int) -> list[Any]:
    """A list nested ``levels`` deep (as a value: JSON encoders refuse more than about 1,000)."""
    value: list[Any] = []
    for _ in range(levels):
        value = [value]
    return value
