"""The bank at rest (issue 11): after an import no question, option, explanation, points value or image is readable in
the SQLite file, its WAL or a copy of the data folder; rows are bound to their place; duplicates match on keyed
fingerprints; rows written before are sealed by ``bank encrypt``; a master key rotation keeps the bank open."""

from __future__ import annotations

import shutil
import struct
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ground import bank_seal, clock, crypto, db
from ground.models import Item, ItemVersion, Option
from ground.models.bank_images import BankImage
from question_bank.formats import read_bank
from question_bank.formats.json_format import read_json
from question_bank.items import ItemDraft, OptionDraft, content_hash
from question_bank.store import current_drafts, import_items, option_points, version_contents

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = Path(__file__).resolve().parents[2] / "question_bank" / "samples" / "skd_demo.json"
ODD_POINTS = 4.123456789  # a points value no other row has: its float bytes or digits would show a plaintext key


def _odd_item() -> ItemDraft:
    return ItemDraft(
        uid="odd-points", subtest="TKP", text="Sikap paling tepat ketika rekan kerja terlambat rapat koordinasi?",
        options=[OptionDraft("Menegur dengan sopan setelah rapat selesai", ODD_POINTS),
                 OptionDraft("Membiarkan saja tanpa berkata apa pun", 1.0)],
        explanation="Pembahasan rahasia: teguran empat mata menjaga martabat rekan.",
    )  # fmt: skip


def _needles(drafts: list[ItemDraft]) -> set[bytes]:
    """Every question, option and explanation text (long enough that random ciphertext cannot contain it)."""
    out: set[bytes] = set()
    for d in drafts:
        for t in [d.text, d.explanation, d.html] + [o.text for o in d.options]:
            raw = (t or "").strip().encode("utf-8")
            if len(raw) >= 6:
                out.add(raw)
    return out


def _found(blob: bytes, needles: set[bytes]) -> list[bytes]:
    return sorted(n for n in needles if n in blob)


def test_imported_bank_is_unreadable_in_the_file_its_wal_and_a_backup(run, tmp_path: Path):
    assert run("bank", "import", str(SAMPLE)).exit_code == 0
    assert run("bank", "import", str(DATA / "quiz_moodle.xml"), "--skip-invalid").exit_code == 0
    with db.session_scope(run.url) as s:
        import_items(s, [_odd_item()])
    parsed = read_json(SAMPLE.read_bytes(), SAMPLE.name).items
    moodle = read_bank(DATA / "quiz_moodle.xml")
    needles = _needles(parsed + moodle.items + [_odd_item()])
    assert len(needles) > 150  # 38 demo questions with their options and explanations, and more
    ((_mime, image),) = moodle.images.values()
    needles |= {image[i : i + 24] for i in range(8, len(image) - 24, 8)}
    needles |= {struct.pack(">d", ODD_POINTS), struct.pack("<d", ODD_POINTS), repr(ODD_POINTS).encode()}

    db_file = run.data_dir / "exam.sqlite3"
    wal = Path(f"{db_file}-wal")
    backup = tmp_path / "backup"
    shutil.copytree(run.data_dir, backup)  # a backup taken while the WAL still holds the import's pages
    for path in [db_file, wal, *sorted(p for p in backup.rglob("*") if p.is_file())]:
        if path.exists():
            assert _found(path.read_bytes(), needles) == [], path
    with db.get_engine(run.url).connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert conn.execute(text("SELECT count(*) FROM options WHERE points IS NOT NULL OR text != ''")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM item_versions WHERE sealed IS NULL OR text != ''")).scalar() == 0
    assert _found(db_file.read_bytes(), needles) == []

    with db.session_scope(run.url) as s:  # opened in memory, for whoever needs them
        drafts = {d.uid: d for d in current_drafts(s)}
        for d in parsed:
            got = drafts[d.uid]
            assert (got.text, got.explanation) == (d.text, d.explanation)
            assert [(o.text, float(o.points)) for o in got.options] == [(o.text, float(o.points)) for o in d.options]
        odd = s.scalar(select(ItemVersion.id).join(Item).where(Item.uid == "odd-points"))
        assert sorted(option_points(s, [odd])[odd].values()) == [1.0, ODD_POINTS]
        assert version_contents(s, [odd])[odd].text == _odd_item().text
    assert run("bank", "export", str(tmp_path / "out.zip")).exit_code == 0  # an export meant to carry them does
    with zipfile.ZipFile(tmp_path / "out.zip") as z:
        assert any(z.read(name) == image for name in z.namelist())


def test_a_sealed_row_does_not_open_in_another_place(session):
    second = ItemDraft("second", "TIU", "Berapakah 12 x 12 dalam hitungan?",
                       [OptionDraft("Seratus empat puluh empat", 5), OptionDraft("Dua", 0)])  # fmt: skip
    import_items(session, [_odd_item(), second])
    session.commit()
    a, b = session.scalars(select(Option).order_by(Option.id).limit(2)).all()
    a.sealed, b.sealed = b.sealed, a.sealed  # an attacker with write access moves the key between options
    session.commit()
    with pytest.raises(crypto.TamperedError):
        option_points(session, [a.item_version_id])
    v1, v2 = session.scalars(select(ItemVersion).order_by(ItemVersion.id)).all()
    v1.sealed, v2.sealed = v2.sealed, v1.sealed
    session.commit()
    with pytest.raises(crypto.TamperedError):
        version_contents(session, [v1.id])


def test_duplicates_match_on_keyed_fingerprints_only(session):
    draft = _odd_item()
    import_items(session, [draft])
    session.commit()
    stored = session.scalar(select(ItemVersion.content_hash))
    assert stored != content_hash(draft)  # a plain hash would let a thief test guessed questions
    copy = ItemDraft("odd-copy", draft.subtest, draft.text, list(draft.options), explanation=draft.explanation)
    report = import_items(session, [copy])
    assert (report.imported, report.duplicates) == (0, 1)


def test_bank_encrypt_seals_rows_written_before(run):
    assert run("bank", "list").exit_code == 0  # an installation whose bank was written before sealing
    legacy = _odd_item()
    png = (DATA / "peta.png").read_bytes()
    with db.session_scope(run.url) as s:
        now = clock.now()
        item = Item(uid=legacy.uid, subtest=legacy.subtest, tags=[], current_version=1, created_at=now)
        s.add(item)
        s.flush()
        v = ItemVersion(item_id=item.id, version=1, kind="single", text=legacy.text, explanation=legacy.explanation,
                        media=[], content_hash=content_hash(legacy), created_at=now)  # fmt: skip
        v.options = [Option(position=i, text=o.text, points=o.points, media=[]) for i, o in enumerate(legacy.options)]
        s.add(v)
        s.add(BankImage(sha256="ab" * 32, mime="image/png", size=len(png), data=png, created_at=now))
    with db.session_scope(run.url) as s:  # rows written before are read as they are
        assert current_drafts(s)[0].text == legacy.text
    db_file = run.data_dir / "exam.sqlite3"
    with db.get_engine(run.url).connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert legacy.text.encode() in db_file.read_bytes()  # the grep below would see plaintext
    res = run("bank", "encrypt")
    assert res.exit_code == 0 and "Bank sealed: 1 versions, 2 options, 1 images." in res.output, res.output
    wal = Path(f"{db_file}-wal")
    blob = db_file.read_bytes() + (wal.read_bytes() if wal.exists() else b"")  # VACUUM and a truncated WAL
    assert _found(blob, _needles([legacy]) | {png[16:48], struct.pack(">d", ODD_POINTS)}) == []
    with db.session_scope(run.url) as s:
        got = current_drafts(s)[0]
        assert (got.text, [o.points for o in got.options]) == (legacy.text, [ODD_POINTS, 1.0])
        assert s.get(BankImage, "ab" * 32).data != png
        copy = ItemDraft("legacy-copy", legacy.subtest, legacy.text, list(legacy.options),
                         explanation=legacy.explanation)  # fmt: skip
        assert import_items(s, [copy]).duplicates == 1  # its fingerprint was re-keyed
        s.rollback()
    again = run("bank", "encrypt")
    assert again.exit_code == 0 and "Bank sealed: 0 versions, 0 options, 0 images." in again.output  # nothing left


def test_master_key_rotation_keeps_the_bank_open(run):
    assert run("bank", "import", str(SAMPLE)).exit_code == 0
    with db.session_scope(run.url) as s:
        before = [d.text for d in current_drafts(s)]
    assert run("bank", "rotate-key", "--yes").exit_code == 0
    with db.session_scope(run.url) as s:
        assert [d.text for d in current_drafts(s)] == before
        assert bank_seal.bank_cipher(s, create=False) is not None
