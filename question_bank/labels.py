"""Opaque per-paper labels: what a candidate's package calls its questions, options and images.

A question's or image's label is a keyed hash (BLAKE2b) of its bank id under a key drawn from the exam's data key
and the paper's secret seed, so labels differ on every paper, follow neither authoring order nor database ids,
and need no storage: the server derives them again when it maps an answer back. An option is named by its
question's label and its place on this paper's screen, which the candidate sees anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Collection, Iterable, Mapping
from typing import Any

LABEL_BYTES = 9  # 72 bits: 12 characters; two labels of one paper never meet in practice, and we check anyway


class LabelClash(RuntimeError):
    """Two ids of one paper drew the same label (about 2⁻⁶⁰ per paper): it must not be issued or served."""


class PaperLabels:
    """The label of every id on one paper."""

    def __init__(self, data_key: bytes, seed: int) -> None:
        self._key = hmac.digest(data_key, b"paper-labels|%d" % seed, "sha256")

    def _label(self, what: bytes) -> str:
        digest = hashlib.blake2b(what, key=self._key, digest_size=LABEL_BYTES).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")

    def question(self, version_id: int) -> str:
        return self._label(b"q|%d" % version_id)

    def image(self, sha256: str) -> str:
        return self._label(b"i|" + sha256.encode("ascii"))


class PaperMap:
    """Labels back to bank ids for one paper (the server's side of the package), and ids back to labels."""

    def __init__(self, labels: PaperLabels, layout: Mapping[str, Any]) -> None:
        self.labels = labels
        self.question_labels: dict[int, str] = {}
        self.option_labels: dict[int, str] = {}
        for sub in layout["subtests"]:
            for q in sub["questions"]:
                label = self.question_labels[q["v"]] = labels.question(q["v"])
                for place, o in enumerate(q["o"]):
                    self.option_labels[o] = label + _PLACES[place]
        # the multiple-response questions (version ids): their answer is a set of options
        self.multiple: set[int] = {q["v"] for sub in layout["subtests"] for q in sub["questions"] if q.get("m")}
        self.questions: dict[str, tuple[int, dict[str, int]]] = {}  # built at the first answer: issuing needs none
        # question labels have one length, so unique question labels make unique option labels
        if len(set(self.question_labels.values())) != len(self.question_labels):
            raise LabelClash("two questions of one paper share a label")
        self._layout = layout

    def question(self, label: str) -> tuple[int, dict[str, int]] | None:
        """(version id, {option label: option id}) of a question label of this paper, or None."""
        if not self.questions:
            names = self.option_labels
            self.questions = {
                self.question_labels[q["v"]]: (q["v"], {names[o]: o for o in q["o"]})
                for sub in self._layout["subtests"] for q in sub["questions"]
            }
        return self.questions.get(label)

    def option_set(self, option_ids: Iterable[int]) -> list[str]:
        """A set of chosen options as labels, in their order on this paper's screen."""
        # a question's labels share one length, so (length, text) sorts the place suffixes as numbers
        return sorted((self.option_labels[o] for o in option_ids), key=lambda label: (len(label), label))

    def saved(
        self, answers: Mapping[int, int | Collection[int]], flags: Iterable[int]
    ) -> tuple[dict[str, str | list[str]], list[str]]:
        """Stored answers {version id: option id or a set of them} and flagged version ids as the candidate's labels."""
        return (
            {
                self.question_labels[v]: self.option_labels[o] if isinstance(o, int) else self.option_set(o)
                for v, o in answers.items()
            },
            sorted(self.question_labels[v] for v in flags),
        )


_PLACES = [str(place) for place in range(64)]  # an option's place on screen, as the suffix of its label


def image_map(labels: PaperLabels, hashes: Iterable[str]) -> dict[str, str]:
    """{image label: sha256} for the images a paper shows."""
    found = {labels.image(h): h for h in set(hashes)}
    if len(found) != len(set(hashes)):
        raise LabelClash("two images of one paper share a label")
    return found
