"""People at rest (issue 17): no NIK, name, birth date, login or uploaded file is readable in the SQLite file or its
WAL; a NIK is found by its keyed fingerprint; sealed rows are bound to their place; the account flows refuse what
they must (taken NIK and login, wrong or expired codes, wrong passwords) and audit what they do."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ground import clock, crypto, db
from ground.errors import AppError
from ground.models import AuditEvent
from ground.models.registration import ApplicantAccount, Person, Recruitment
from ground.people_seal import people_cipher
from registration import applications, people
from registration.senders import LogSender
from tests.registration.factory import MAN, PASSWORD, WOMAN, Outbox, make_recruitment, pdf, register


def _apply_everything(session, who) -> None:
    make_recruitment(session)
    rec = session.scalar(select(Recruitment))
    forms = {f["code"]: f for f in applications.recruitments.view(session, rec).formations}
    reqs = {r["code"]: r["id"] for r in applications.recruitments.view(session, rec).requirements}
    applications.choose_formation(session, who, rec.code, forms["AK-01"]["id"], "cum_laude")
    applications.upload(session, who, rec.code, reqs["ijazah"],
                        applications.Upload(pdf("IJAZAH-RAHASIA-7731 Universitas Contoh"), "ijazah.pdf"))


def test_personal_fields_and_files_are_unreadable_in_the_file_and_its_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exam.sqlite3'}"
    db.upgrade(url)
    with db.session_scope(url) as s:
        who = register(s, WOMAN, "siti.rahmawati@contoh.id")
        people.update_profile(s, who, {"phone": "081234567890", "education": "S1 Ilmu Pemerintahan Unpad",
                                       "address": "Jalan Cempaka Putih Nomor 17"})
        _apply_everything(s, who)
    needles = [WOMAN[0].encode(), WOMAN[1].encode(), b"Nurhaliza", b"1992-05-15", b"siti.rahmawati",
               b"081234567890", b"Cempaka Putih", b"Ilmu Pemerintahan", b"IJAZAH-RAHASIA-7731",
               hashlib.sha256(WOMAN[0].encode()).hexdigest().encode()]  # not even an unkeyed hash of the NIK
    db_file = tmp_path / "exam.sqlite3"
    for path in (db_file, Path(f"{db_file}-wal")):
        if path.exists():
            blob = path.read_bytes()
            assert [n for n in needles if n in blob] == [], path
    with db.get_engine(url).connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        dump = "\n".join(str(r) for t in ("reg_people", "reg_accounts", "reg_files", "audit_events")
                         for r in conn.execute(text(f"SELECT * FROM {t}")))  # noqa: S608 - fixed table names
    assert not [n for n in needles if n.decode() in dump]
    blob = db_file.read_bytes()
    assert [n for n in needles if n in blob] == []
    with db.session_scope(url) as s:  # opened in memory for the owner
        fields = people.person_fields(s, who.person_id)
        assert (fields["nik"], fields["name"], fields["sex"], fields["phone"]) == (WOMAN[0], WOMAN[1], "F",
                                                                                    "081234567890")
        doc_id = s.scalar(select(applications.ApplicationDocument.id))
        mime, data, name = applications.document(s, doc_id, person_id=who.person_id)
        assert mime == "application/pdf" and b"IJAZAH-RAHASIA-7731" in data and name.endswith("-ijazah.pdf")
        with pytest.raises(AppError) as refused:
            applications.document(s, doc_id, person_id=who.person_id + 1)
        assert refused.value.status == 404  # someone else's file does not exist for them


def test_a_sealed_person_does_not_open_in_another_row(session) -> None:
    register(session, WOMAN, "siti@contoh.id")
    register(session, MAN, "081298765432")
    session.commit()
    a, b = session.scalars(select(Person).order_by(Person.id)).all()
    a.sealed, b.sealed = b.sealed, a.sealed  # an attacker with write access swaps two people
    session.commit()
    with pytest.raises(crypto.TamperedError):
        people.person_fields(session, a.id)


def test_the_nik_is_found_by_its_keyed_fingerprint_only(session, english: None) -> None:
    register(session, WOMAN, "siti@contoh.id")
    cipher = people_cipher(session)
    fp = session.scalar(select(Person.nik_fp))
    assert fp == cipher.fingerprint("nik", WOMAN[0]) != hashlib.sha256(WOMAN[0].encode()).hexdigest()
    with pytest.raises(AppError, match="already has an account") as taken:
        people.register(session, nik=WOMAN[0], name="Orang Lain", birth_date=WOMAN[2], login="lain@contoh.id",
                        password=PASSWORD, sender=LogSender())
    assert (taken.value.code, taken.value.status) == ("nik_taken", 409)
    with pytest.raises(AppError) as login_taken:
        people.register(session, nik=MAN[0], name=MAN[1], birth_date=MAN[2], login=" SITI@contoh.id ",
                        password=PASSWORD, sender=LogSender())
    assert login_taken.value.code == "login_taken"
    with pytest.raises(AppError, match="does not match the date of birth"):
        people.register(session, nik=MAN[0], name=MAN[1], birth_date=MAN[2] + timedelta(days=1), login="b@c.id",
                        password=PASSWORD, sender=LogSender())


def test_codes_and_passwords(session, english: None) -> None:
    box = Outbox()
    import logging

    logging.getLogger("exam_engine.registration.codes").addHandler(box)
    try:
        who = people.register(session, nik=MAN[0], name=MAN[1], birth_date=MAN[2], login="+62 812-9876-5432",
                              password=PASSWORD, sender=LogSender())
        assert "0812****32" in box.texts[-1] and "9876" not in box.texts[-1].split(":")[0]  # the log masks the number
        first = box.last_code()
        with pytest.raises(AppError, match="not right"):
            people.verify(session, who.account_id, "000000" if first != "000000" else "111111")
        people.resend_code(session, who.account_id, LogSender())
        second = box.last_code()
        if second != first:
            with pytest.raises(AppError, match="not right"):
                people.verify(session, who.account_id, first)  # a new code replaces the old one
        clock.freeze(clock.now() + timedelta(minutes=16))
        with pytest.raises(AppError, match="expired"):
            people.verify(session, who.account_id, second)
        clock.reset()
        people.resend_code(session, who.account_id, LogSender())
        assert people.verify(session, who.account_id, box.last_code()).verified
    finally:
        logging.getLogger("exam_engine.registration.codes").removeHandler(box)
    assert people.authenticate(session, "0812 9876 5432", PASSWORD).account_id == who.account_id
    for login, password in (("081298765432", "wrong-password-1"), ("nobody@contoh.id", PASSWORD)):
        with pytest.raises(AppError, match="Wrong email/mobile number or password") as wrong:
            people.authenticate(session, login, password)
        assert wrong.value.status == 401
    account = session.get(ApplicantAccount, who.account_id)
    assert account.password_hash.startswith("$argon2id$") and account.code_fp is None
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.actor == who.actor)))
    assert {"applicant.registered", "applicant.code_sent", "applicant.code_wrong", "applicant.verified",
            "applicant.sign_in"} <= set(actions)


def test_own_data_export(session) -> None:
    who = register(session, WOMAN, "siti@contoh.id")
    data = people.own_data(session, who)
    assert data["person"]["nik"] == WOMAN[0] and data["applications"] == []
