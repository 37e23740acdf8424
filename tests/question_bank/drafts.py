"""Helpers the bank's tests share."""

from question_bank.items import ItemDraft


def fingerprint(d: ItemDraft) -> tuple:
    """What a draft says — uid, subtest, texts, metadata and options with their points — for comparing two reads."""
    return (
        d.uid,
        d.subtest,
        d.text,
        d.kind,
        d.category,
        d.tags,
        d.difficulty,
        d.explanation,
        [(o.text, o.points) for o in d.options],
    )
