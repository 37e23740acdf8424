"""Staff accounts as a service: create, authenticate, assign rooms, and answer "may this person see room R?"."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ground import audit, clock
from ground.errors import AppError
from ground.i18n import _
from ground.models import Room
from ground.models.staff import STAFF_ROLES, RoomAssignment, StaffResetLink, StaffSession, StaffUser
from ground.passwords import hash_password, verify_password

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
RESET_LINK_VALID = timedelta(hours=24)  # a reset link works once, within a day
# Roles that see and act on every room; a proctor sees only assigned rooms.
ALL_ROOMS_ROLES = ("admin", "committee")
# A hash to verify against when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = hash_password("not-a-real-password-0")


@dataclass(frozen=True)
class StaffInfo:
    """What the faces keep about a signed-in staff member (no password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    session_epoch: int
    session_id: int | None = None  # the sign-in (StaffSession row) this came from; None outside a browser

    @property
    def actor(self) -> str:
        """The audit log's name for this person."""
        return f"staff:{self.username}"

    def public(self) -> dict[str, object]:
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "role": self.role}


def info(user: StaffUser, session_id: int | None = None) -> StaffInfo:
    return StaffInfo(user.id, user.username, user.display_name or user.username, user.role, user.session_epoch,
                     session_id)


def check_role(role: str) -> str:
    if role not in STAFF_ROLES:
        raise AppError("bad_role", _("Role must be one of: %(roles)s.", roles=", ".join(STAFF_ROLES)))
    return role


def create_staff(
    session: Session, username: str, password: str, role: str, *, display_name: str = "", actor: str = "system"
) -> StaffUser:
    """Add an account (argon2-hashed password); refuses weak passwords, bad names and duplicates."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise AppError(
            "bad_username", _("Usernames are 2-64 characters: lower-case letters, digits, dot, dash, underscore.")
        )
    check_role(role)
    if len(password) < MIN_PASSWORD:
        raise AppError("weak_password", _("Passwords need at least %(n)s characters.", n=MIN_PASSWORD))
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise AppError("duplicate_username", _("The username %(name)s is taken.", name=username), 409)
    user = StaffUser(
        username=username, display_name=display_name.strip() or username, role=role,
        password_hash=hash_password(password), active=True, session_epoch=0, created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    audit.record(session, "staff.created", actor=actor, username=username, role=role)
    return user


def authenticate(session: Session, username: str, password: str) -> StaffInfo:
    """The account for these credentials, or 401 (the same message whether the name or the password is wrong)."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        raise AppError("bad_credentials", _("Wrong username or password."), 401)
    user.last_sign_in_at = clock.now()
    audit.record(session, "staff.sign_in", actor=f"staff:{user.username}")
    return info(user)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, staff: StaffInfo) -> tuple[str, StaffInfo]:
    """Record a new sign-in; the token goes into the cookie (only its hash is stored, so a database copy is no key)."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(staff_id=staff.id, token_hash=_token_hash(token), created_at=clock.now())
    session.add(row)
    session.flush()
    return token, StaffInfo(staff.id, staff.username, staff.display_name, staff.role, staff.session_epoch, row.id)


def session_staff(session: Session, token: str) -> StaffInfo | None:
    """The active account behind a cookie's session token, or None (signed out, disabled, password changed)."""
    if not token:
        return None
    found = session.execute(
        select(StaffUser, StaffSession.id).join(StaffSession, StaffSession.staff_id == StaffUser.id)
        .where(StaffSession.token_hash == _token_hash(token), StaffUser.active.is_(True))
    ).first()
    return None if found is None else info(found[0], found[1])


def still_valid(session: Session, staff: StaffInfo) -> StaffInfo | None:
    """Re-check an account (and its sign-in, when it came from one) in the caller's transaction."""
    user = session.get(StaffUser, staff.id)
    if user is None or not user.active:
        return None
    if staff.session_id is not None and session.get(StaffSession, staff.session_id) is None:
        return None
    return info(user, staff.session_id)


def live_session_ids(session: Session, session_ids: list[int]) -> set[int]:
    """Which of these sign-ins still stand (their account active): one query for a whole process's sockets."""
    if not session_ids:
        return set()
    return set(session.scalars(
        select(StaffSession.id).join(StaffUser, StaffUser.id == StaffSession.staff_id)
        .where(StaffSession.id.in_(session_ids), StaffUser.active.is_(True))
    ))


def end_session(session: Session, session_id: int) -> None:
    """Sign out one browser: its cookie, even a copy of it, no longer works."""
    session.execute(delete(StaffSession).where(StaffSession.id == session_id))


def end_sessions(session: Session, staff_id: int) -> int:
    """End every sign-in of an account (the number ended)."""
    return session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id)).rowcount or 0


def sign_out_everywhere(session: Session, staff_id: int) -> None:
    """Invalidate every session cookie and live connection of this account."""
    user = session.get(StaffUser, staff_id)
    if user is not None:
        user.session_epoch += 1
        end_sessions(session, user.id)
        audit.record(session, "staff.sign_out_everywhere", actor=f"staff:{user.username}")


def set_password(session: Session, username: str, password: str, *, actor: str = "system") -> None:
    """Change a password; every existing session of the account ends."""
    user = _by_name(session, username)
    if len(password) < MIN_PASSWORD:
        raise AppError("weak_password", _("Passwords need at least %(n)s characters.", n=MIN_PASSWORD))
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    end_sessions(session, user.id)
    audit.record(session, "staff.password_changed", actor=actor, username=user.username)


def issue_reset_link(session: Session, username: str, *, actor: str) -> str:
    """A one-time reset link's token for an account (only its hash is kept; an older unused link stops working)."""
    user = _by_name(session, username)
    session.execute(delete(StaffResetLink).where(StaffResetLink.staff_id == user.id,
                                                 StaffResetLink.used_at.is_(None)))
    token, now = secrets.token_urlsafe(32), clock.now()
    session.add(StaffResetLink(staff_id=user.id, token_hash=_token_hash(token), created_at=now,
                               expires_at=now + RESET_LINK_VALID, created_by=actor))
    audit.record(session, "staff.reset_link_issued", actor=actor, username=user.username,
                 expires_at=(now + RESET_LINK_VALID).isoformat())
    return token


def reset_link_user(session: Session, token: str) -> tuple[StaffResetLink, StaffUser]:
    """The unused, unexpired link behind ``token`` and its account; one refusal for unknown, used and expired."""
    found = session.execute(
        select(StaffResetLink, StaffUser).join(StaffUser, StaffUser.id == StaffResetLink.staff_id)
        .where(StaffResetLink.token_hash == _token_hash(token))).first() if token else None
    if found is None or found[0].used_at is not None or found[0].expires_at <= clock.now() or not found[1].active:
        raise AppError("bad_reset_link", _("This reset link is not valid: it was used, it expired or it is unknown. "
                                           "Ask the committee for a new one."), 404)
    return found[0], found[1]


def use_reset_link(session: Session, token: str, password: str) -> str:
    """Set the account's password through its link, once (a racing second use finds it used); the username."""
    link, user = reset_link_user(session, token)
    if len(password) < MIN_PASSWORD:
        raise AppError("weak_password", _("Passwords need at least %(n)s characters.", n=MIN_PASSWORD))
    taken = session.execute(update(StaffResetLink).where(StaffResetLink.id == link.id,
                                                         StaffResetLink.used_at.is_(None))
                            .values(used_at=clock.now())).rowcount
    if taken != 1:
        raise AppError("bad_reset_link", _("This reset link is not valid: it was used, it expired or it is unknown. "
                                           "Ask the committee for a new one."), 404)
    set_password(session, user.username, password, actor=f"staff:{user.username}")
    audit.record(session, "staff.reset_link_used", actor=f"staff:{user.username}", username=user.username,
                 issued_by=link.created_by)
    return user.username


def set_active(session: Session, username: str, active: bool, *, actor: str = "system") -> None:
    """Disable an account (every session ends at once) or enable it again."""
    user = _by_name(session, username)
    user.active = active
    user.session_epoch += 1
    end_sessions(session, user.id)
    audit.record(session, "staff.enabled" if active else "staff.disabled", actor=actor, username=user.username)


def _by_name(session: Session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))
    if user is None:
        raise AppError("unknown_staff", _("No staff account named %(name)s.", name=username), 404)
    return user


def room_by_code(session: Session, code: str) -> Room:
    room = session.scalar(select(Room).where(Room.code == code.strip()))
    if room is None:
        raise AppError("unknown_room", _("No room with code %(code)s.", code=code), 404)
    return room


def assign(session: Session, username: str, room_code: str, *, actor: str = "system") -> bool:
    """Give a proctor a room (``False`` if already assigned)."""
    user = _by_name(session, username)
    room = room_by_code(session, room_code)
    exists = session.scalar(
        select(RoomAssignment.id).where(RoomAssignment.staff_id == user.id, RoomAssignment.room_id == room.id)
    )
    if exists is not None:
        return False
    session.add(RoomAssignment(staff_id=user.id, room_id=room.id))
    audit.record(session, "staff.assigned", actor=actor, room_id=room.id, username=user.username)
    return True


def unassign(session: Session, username: str, room_code: str, *, actor: str = "system") -> bool:
    """Take a room from a proctor (``False`` if it was not theirs)."""
    user = _by_name(session, username)
    room = room_by_code(session, room_code)
    gone = session.execute(
        delete(RoomAssignment).where(RoomAssignment.staff_id == user.id, RoomAssignment.room_id == room.id)
    ).rowcount
    if gone:
        audit.record(session, "staff.unassigned", actor=actor, room_id=room.id, username=user.username)
    return bool(gone)


def room_ids_for(session: Session, staff: StaffInfo) -> list[int]:
    """Every room this person may see: all for admin/committee, the assigned ones for a proctor."""
    if staff.role in ALL_ROOMS_ROLES:
        return list(session.scalars(select(Room.id).order_by(Room.id)))
    return list(
        session.scalars(
            select(RoomAssignment.room_id).where(RoomAssignment.staff_id == staff.id).order_by(RoomAssignment.room_id)
        )
    )


def require_room(session: Session, staff: StaffInfo, room_id: int) -> Room:
    """The room, if this person may see and act on it; 403 otherwise (404 when it does not exist at all)."""
    room = session.get(Room, room_id)
    if room is None:
        raise AppError("unknown_room", _("This room does not exist."), 404)
    if staff.role in ALL_ROOMS_ROLES:
        return room
    assigned = session.scalar(
        select(RoomAssignment.id).where(RoomAssignment.staff_id == staff.id, RoomAssignment.room_id == room_id)
    )
    if assigned is None:
        raise AppError("forbidden_room", _("You are not assigned to this room."), 403)
    return room
