"""The bank in the database: imports, versions, duplicates, pools and contents (SQLite and PostgreSQL)."""

import copy
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ground.models import Item, ItemVersion, Option
from question_bank.assembly import assemble
from question_bank.blueprint import load_preset
from question_bank.formats import read_bank
from question_bank.items import OptionDraft
from question_bank.store import current_drafts, import_items, load_pool, option_points, version_contents
from tests.question_bank.drafts import fingerprint

SAMPLE = Path(__file__).resolve().parents[2] / "question_bank" / "samples" / "skd_demo.json"


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Item, ItemVersion, Option))  # type: ignore[return-value]


def test_import_sample_then_reimport_is_a_noop(session: Session):
    drafts = read_bank(SAMPLE).items
    report = import_items(session, drafts)
    session.commit()
    assert (report.imported, report.updated, report.duplicates) == (len(drafts), 0, 0)
    assert report.by_subtest == {"TWK": 13, "TIU": 13, "TKP": 12}
    before = _counts(session)
    again = import_items(session, read_bank(SAMPLE).items)
    session.commit()
    assert (again.imported, again.updated, again.duplicates) == (0, 0, len(drafts))
    assert _counts(session) == before


def test_editing_an_item_makes_a_new_version_and_keeps_the_old(session: Session):
    drafts = read_bank(SAMPLE).items
    import_items(session, drafts)
    session.commit()
    old_pool = {p.version_id for p in load_pool(session)}
    edited = copy.deepcopy(drafts[0])
    edited.text = edited.text + " (revisi)"
    edited.options[0] = OptionDraft("Pilihan baru", 0)
    report = import_items(session, [edited])
    session.commit()
    assert (report.imported, report.updated) == (0, 1)
    item = session.scalars(select(Item).where(Item.uid == edited.uid)).one()
    assert item.current_version == 2 and [v.version for v in item.versions] == [1, 2]
    pool = load_pool(session)
    new_ids = {p.version_id for p in pool} - old_pool
    assert len(pool) == len(drafts) and len(new_ids) == 1
    content = version_contents(session, new_ids)[new_ids.pop()]
    assert content.text.endswith("(revisi)") and content.options[0][1] == "Pilihan baru"
    # the old version stays readable for papers that used it
    old_id = item.versions[0].id
    assert "(revisi)" not in version_contents(session, [old_id])[old_id].text


def test_metadata_only_change_updates_item_without_new_version(session: Session):
    drafts = read_bank(SAMPLE).items[:2]
    import_items(session, drafts)
    session.commit()
    changed = copy.deepcopy(drafts[0])
    changed.difficulty = "sulit"
    changed.tags = ["demo", "revisi"]
    report = import_items(session, [changed])
    session.commit()
    item = session.scalars(select(Item).where(Item.uid == changed.uid)).one()
    assert report.updated == 1 and item.current_version == 1
    assert item.difficulty == "sulit" and item.tags == ["demo", "revisi"]


def test_same_content_under_another_uid_is_a_duplicate(session: Session):
    drafts = read_bank(SAMPLE).items[:3]
    import_items(session, drafts)
    session.commit()
    copy1 = copy.deepcopy(drafts[1])
    copy1.uid = "COPY-1"
    copy1.text = "  " + copy1.text.upper() + "  "
    copy2 = copy.deepcopy(copy1)
    copy2.uid, copy2.text = "NEW-2", "Soal yang benar-benar baru?"
    copy3 = copy.deepcopy(copy2)
    copy3.uid = "NEW-3"
    report = import_items(session, [copy1, copy2, copy3])
    session.commit()
    assert (report.imported, report.duplicates) == (1, 2)
    messages = [p.message for p in report.duplicate_details]
    assert f"COPY-1 duplicates {drafts[1].uid}" in messages and "NEW-3 duplicates NEW-2" in messages
    assert session.scalar(select(func.count()).select_from(Item)) == 4


def test_pool_contents_and_points(session: Session):
    import_items(session, read_bank(SAMPLE).items)
    session.commit()
    pool = load_pool(session, ["TKP"])
    assert len(pool) == 12 and all(p.subtest == "TKP" and len(p.option_ids) == 5 for p in pool)
    assert len(load_pool(session)) == 38
    layout = assemble(load_preset("skd_demo"), load_pool(session), seed=99)
    vids = [q["v"] for s in layout["subtests"] for q in s["questions"]]
    contents = version_contents(session, vids)
    assert set(contents) == set(vids)
    for q in layout["subtests"][2]["questions"]:
        c = contents[q["v"]]
        assert c.subtest == "TKP" and sorted(o[0] for o in c.options) == sorted(q["o"])
        assert all(len(o) == 3 for o in c.options)  # id, text, media — nothing else
    pts = option_points(session, vids)
    assert sorted(pts[layout["subtests"][2]["questions"][0]["v"]].values()) == [1, 2, 3, 4, 5]


def test_export_drafts_equal_the_import(session: Session):
    drafts = read_bank(SAMPLE).items
    import_items(session, drafts)
    session.commit()
    out = {d.uid: d for d in current_drafts(session)}
    for d in drafts:
        assert fingerprint(out[d.uid]) == fingerprint(d)


def test_same_question_text_with_other_options_is_a_warning(session: Session):
    drafts = read_bank(SAMPLE).items[:2]
    import_items(session, drafts)
    session.commit()
    variant = copy.deepcopy(drafts[0])
    variant.uid = "VARIANT-1"
    variant.options[1] = OptionDraft("Pilihan lain sama sekali", 0)
    report = import_items(session, [variant])
    session.commit()
    assert report.imported == 1
    assert [w.message for w in report.warnings] == [
        f"VARIANT-1 has the same question text as {drafts[0].uid} (the options differ)"
    ]


def test_images_of_a_paper_are_stored_once_and_served_by_hash(session: Session):
    from question_bank.store import get_image, image_hashes

    data = Path(__file__).resolve().parent / "data" / "quiz_moodle.xml"
    parsed = read_bank(data)
    report = import_items(session, parsed.items, images=parsed.images)
    session.commit()
    assert report.images == 1
    again = import_items(session, [], images=parsed.images)
    assert again.images == 0  # content-addressed: stored once
    pool = load_pool(session)
    contents = version_contents(session, [p.version_id for p in pool])
    (sha,) = image_hashes(contents)
    mime, raw = get_image(session, sha)
    assert mime == "image/png" and raw == parsed.images[sha][1]
    assert get_image(session, "f" * 64) is None
