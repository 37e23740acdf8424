"""People and applicant accounts: register with a NIK, verify by a code, sign in, keep the profile, export it.

Only keyed fingerprints and sealed blobs reach the database; every change is audited as ``applicant:<account id>``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, clock
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam, Result
from ground.models.registration import ApplicantAccount, Application, Person
from ground.passwords import hash_password, verify_password
from ground.people_seal import PeopleCipher, login_aad, people_cipher, person_aad
from registration import nik as nik_rules
from registration.senders import Sender

MIN_PASSWORD = 10
CODE_TTL = timedelta(minutes=15)
CODE_ATTEMPTS = 5
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PHONE_RE = re.compile(r"^08\d{8,11}$")
PROFILE_FIELDS = ("phone", "education", "address")
_DUMMY_HASH = hash_password("not-a-real-applicant-0")


@dataclass(frozen=True)
class Applicant:
    """A signed-in applicant as the pages keep them (ids only: personal fields are opened when shown)."""

    account_id: int
    person_id: int
    verified: bool
    session_epoch: int

    @property
    def actor(self) -> str:
        """The audit log's name for this applicant (no personal data in the log)."""
        return f"applicant:{self.account_id}"


def _info(account: ApplicantAccount) -> Applicant:
    return Applicant(account.id, account.person_id, account.verified_at is not None, account.session_epoch)


def normal_login(raw: str) -> str:
    """An email address (lower case) or an Indonesian mobile number as 08…; AppError otherwise."""
    text = (raw or "").strip()
    if "@" in text:
        if not EMAIL_RE.match(text) or len(text) > 254:
            raise AppError("bad_login", _("Enter a valid email address or mobile number."))
        return text.lower()
    digits = re.sub(r"[\s().-]", "", text)
    if digits.startswith("+62"):
        digits = "0" + digits[3:]
    elif digits.startswith("62"):
        digits = "0" + digits[2:]
    if not PHONE_RE.match(digits):
        raise AppError("bad_login", _("Enter a valid email address or mobile number."))
    return digits


def _login_fp(cipher: PeopleCipher, login: str) -> str:
    return cipher.fingerprint("login", login)


def register(
    session: Session, *, nik: str, name: str, birth_date: date, login: str, password: str, sender: Sender
) -> Applicant:
    """A new person and their account; refused with the reason (bad or taken NIK, taken login, weak password)."""
    name = " ".join((name or "").split())
    if not name or len(name) > 255:
        raise AppError("bad_name", _("Enter your full name as on your KTP."))
    try:
        parsed = nik_rules.check(nik, birth_date)
    except nik_rules.NikError as err:
        raise AppError("bad_nik", str(err)) from None
    login = normal_login(login)
    if len(password or "") < MIN_PASSWORD:
        raise AppError("weak_password", _("Passwords need at least %(n)s characters.", n=MIN_PASSWORD))
    cipher = people_cipher(session)
    nik_fp, login_fp = cipher.fingerprint("nik", parsed.number), _login_fp(cipher, login)
    if session.scalar(select(Person.id).where(Person.nik_fp == nik_fp)) is not None:
        raise AppError("nik_taken", _("This NIK already has an account. Sign in instead."), 409)
    if session.scalar(select(ApplicantAccount.id).where(ApplicantAccount.login_fp == login_fp)) is not None:
        raise AppError("login_taken", _("This email address or mobile number already has an account."), 409)
    password_hash = hash_password(password)  # argon2 is slow on purpose: before any write (SQLite's one writer)
    now = clock.now()
    fields = {"nik": parsed.number, "name": name, "birth_date": birth_date.isoformat(), "sex": parsed.sex,
              "email": login if "@" in login else "", "phone": "" if "@" in login else login,
              "education": "", "address": ""}
    person = Person(nik_fp=nik_fp, sealed=cipher.seal(person_aad(nik_fp), fields), created_at=now, updated_at=now)
    session.add(person)
    session.flush()
    account = ApplicantAccount(
        person_id=person.id, login_fp=login_fp, login_sealed=cipher.seal(login_aad(login_fp), login),
        password_hash=password_hash, code_attempts=0, session_epoch=0, created_at=now,
    )
    session.add(account)
    session.flush()
    audit.record(session, "applicant.registered", actor=f"applicant:{account.id}", person_id=person.id)
    send_code(session, account, sender)
    return _info(account)


def send_code(session: Session, account: ApplicantAccount, sender: Sender) -> None:
    """A fresh 6-digit code to the account's login (the old one stops working); only its keyed hash is kept."""
    cipher = people_cipher(session)
    code = f"{secrets.randbelow(10**6):06d}"
    account.code_fp = cipher.fingerprint("code", f"{account.id}:{code}")
    account.code_expires_at = clock.now() + CODE_TTL
    account.code_attempts = 0
    to = cipher.open(login_aad(account.login_fp), account.login_sealed)
    sender.send(to, _("Your CAT registration code is %(code)s. It expires in 15 minutes.", code=code))
    audit.record(session, "applicant.code_sent", actor=f"applicant:{account.id}")


def resend_code(session: Session, account_id: int, sender: Sender) -> None:
    """Send a new code to an account not verified yet."""
    account = _account(session, account_id)
    if account.verified_at is None:
        send_code(session, account, sender)


def verify(session: Session, account_id: int, code: str) -> Applicant:
    """Mark the account verified when ``code`` is its current code (five tries, fifteen minutes)."""
    account = _account(session, account_id)
    if account.verified_at is not None:
        return _info(account)
    expired = account.code_expires_at is None or clock.now() > account.code_expires_at
    if expired or account.code_attempts >= CODE_ATTEMPTS:
        raise AppError("code_expired", _("The code expired. Ask for a new one."), 400)
    expected = people_cipher(session).fingerprint("code", f"{account.id}:{(code or '').strip()}")
    if not secrets.compare_digest(expected, account.code_fp or ""):
        account.code_attempts += 1
        audit.record(session, "applicant.code_wrong", actor=f"applicant:{account.id}")
        raise AppError("bad_code", _("That code is not right."), 400)
    account.verified_at, account.code_fp, account.code_expires_at = clock.now(), None, None
    audit.record(session, "applicant.verified", actor=f"applicant:{account.id}")
    return _info(account)


def authenticate(session: Session, login: str, password: str) -> Applicant:
    """The account for these credentials, or 401 with one message whether the login or the password is wrong."""
    try:
        normal = normal_login(login)
    except AppError:
        normal = ""
    account = None
    if normal:
        fp = _login_fp(people_cipher(session), normal)
        account = session.scalar(select(ApplicantAccount).where(ApplicantAccount.login_fp == fp))
    ok = verify_password(account.password_hash if account else _DUMMY_HASH, password or "")
    if account is None or not ok:
        raise AppError("bad_credentials", _("Wrong email/mobile number or password."), 401)
    audit.record(session, "applicant.sign_in", actor=f"applicant:{account.id}")
    return _info(account)


def current(session: Session, account_id: int, epoch: int) -> Applicant | None:
    """The account behind a cookie, when it still exists and was not signed out everywhere since."""
    account = session.get(ApplicantAccount, account_id)
    if account is None or account.session_epoch != epoch:
        return None
    return _info(account)


def _account(session: Session, account_id: int) -> ApplicantAccount:
    account = session.get(ApplicantAccount, account_id)
    if account is None:
        raise AppError("not_signed_in", _("Sign in first."), 401)
    return account


def person_fields(session: Session, person_id: int) -> dict[str, Any]:
    """A person's fields, opened in memory."""
    person = session.get(Person, person_id)
    if person is None:
        raise AppError("unknown_person", _("No such person."), 404)
    return dict(people_cipher(session).open(person_aad(person.nik_fp), person.sealed))


def update_profile(session: Session, who: Applicant, values: dict[str, str]) -> dict[str, Any]:
    """Change the profile fields an applicant may change (phone, education, address); NIK, name and birth date stay."""
    person = session.get(Person, who.person_id)
    assert person is not None
    cipher = people_cipher(session)
    fields = dict(cipher.open(person_aad(person.nik_fp), person.sealed))
    for key in PROFILE_FIELDS:
        if key in values:
            value = " ".join((values[key] or "").split())
            if len(value) > 255:
                raise AppError("too_long", _("Each field holds at most 255 characters."))
            fields[key] = value
    person.sealed = cipher.seal(person_aad(person.nik_fp), fields)
    person.updated_at = clock.now()
    audit.record(session, "applicant.profile_changed", actor=who.actor, fields=sorted(k for k in values
                                                                                        if k in PROFILE_FIELDS))
    return fields


def own_data(session: Session, who: Applicant) -> dict[str, Any]:
    """Everything kept about the applicant, for their own download (the right of access of UU PDP), with what each
    application led to: the exam they sat under which number, and its scores (the person's history)."""
    # every read first, then the one write: a SQLite write must not start while a read's cursor is still open (its
    # snapshot may be older than another writer's commit: "database is locked" at once, no waiting)
    apps = session.scalars(
        select(Application).where(Application.person_id == who.person_id).order_by(Application.id)
    ).all()
    out = {
        "person": person_fields(session, who.person_id),
        "applications": [
            {"number": a.number, "state": a.state, "result": a.result,
             "submitted_at": clock.isoformat(a.submitted_at) if a.submitted_at else None,
             "exam": _exam_record(session, a.candidate_id)} for a in apps
        ],
    }
    audit.record(session, "applicant.data_exported", actor=who.actor)
    return out


def _exam_record(session: Session, candidate_id: int | None) -> dict[str, Any] | None:
    """The exam an application led to: participant number, exam, and the scores once the paper is scored."""
    if candidate_id is None:
        return None
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        return None
    exam = session.get(Exam, candidate.exam_id)
    result = session.scalar(select(Result).where(Result.candidate_id == candidate_id))
    return {"exam": exam.code if exam else None, "participant_no": candidate.participant_no,
            "scores": None if result is None else {"subtests": dict(result.subtests), "total": result.total,
                                                   "passed": result.passed}}
