"""Item drafts: normalisation, content hashes and the checks every importer relies on."""

from question_bank.items import ItemDraft, OptionDraft, check_draft, content_hash, normalise_text


def _draft(**kw) -> ItemDraft:
    base = dict(uid="A1", subtest="TIU", text="Berapa 2 + 2?", options=[OptionDraft("3", 0), OptionDraft("4", 5)])
    base.update(kw)
    return ItemDraft(**base)


def test_normalise_text_ignores_case_space_markup_and_width():
    assert normalise_text("  Ibu  kota\tRI\n adalah <b>...</b> ") == normalise_text("ibu kota ri adalah ...")
    assert normalise_text("ＡＢＣ") == "abc"  # full-width letters (NFKC)
    assert normalise_text("Jakarta") != normalise_text("Bandung")


def test_content_hash_matches_reformatted_copies_but_not_key_changes():
    a = _draft()
    b = _draft(uid="B2", text="berapa  2 + 2?", options=[OptionDraft(" 3", 0), OptionDraft("4 ", 5)])
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(_draft(options=[OptionDraft("3", 5), OptionDraft("4", 0)]))
    assert content_hash(a) != content_hash(_draft(text="Berapa 2 + 3?"))


def test_check_draft_accepts_a_good_item_and_names_each_fault():
    assert check_draft(_draft()) == []
    assert "question text is empty" in check_draft(_draft(text="  "))
    assert any("at least 2 options" in p for p in check_draft(_draft(options=[OptionDraft("x", 5)])))
    assert any(
        "no option carries points" in p for p in check_draft(_draft(options=[OptionDraft("a", 0), OptionDraft("b", 0)]))
    )
    assert any("repeats" in p for p in check_draft(_draft(options=[OptionDraft("a", 5), OptionDraft("A", 0)])))
    assert any("unknown item kind" in p for p in check_draft(_draft(kind="essay")))
    assert any(
        "exactly 2" in p for p in check_draft(_draft(kind="truefalse", options=[OptionDraft(c, 1) for c in "abc"]))
    )
    assert any("subtest" in p for p in check_draft(_draft(subtest="")))
    assert any("item id" in p for p in check_draft(_draft(uid=" ")))
    inf = _draft(options=[OptionDraft("a", float("inf")), OptionDraft("b", 0)])
    assert any("finite number" in p for p in check_draft(inf))
