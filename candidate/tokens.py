"""Candidate access tokens: signed, expiring, bound to one login (a new login invalidates the old token)."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ground import clock
from ground.errors import AppError
from ground.i18n import _

_SALT = "exam-engine/candidate-access"


@dataclass(frozen=True)
class AccessClaims:
    """Who the token speaks for: the candidate, their paper, and the login (device binding) it came from."""

    candidate_id: int
    paper_id: int
    session_id: str


class _ClockSigner(TimestampSigner):
    """Stamps a token with the one clock (ground.clock), the clock its age is read on: a test server whose clock was
    moved forward (months between two sittings) still issues tokens that are fresh on that clock."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT, signer=_ClockSigner)


def issue(secret: str, claims: AccessClaims) -> str:
    """A signed access token for ``claims`` (its age is checked on read)."""
    return _serializer(secret).dumps({"c": claims.candidate_id, "p": claims.paper_id, "s": claims.session_id})


def read(secret: str, token: object, max_age_s: int) -> AccessClaims:
    """Check signature and age (on the injected clock); AppError ``bad_token``/``token_expired`` otherwise."""
    if not isinstance(token, str) or not token:
        raise AppError("bad_token", _("An access token is required: log in first."), 401)
    serializer = _serializer(secret)
    try:
        data, signed_at = serializer.loads(token, return_timestamp=True)
    except BadSignature as exc:
        raise AppError("bad_token", _("The access token is not valid: log in again."), 401) from exc
    if (clock.now() - signed_at).total_seconds() > max_age_s:
        raise AppError("token_expired", _("The access token has expired: log in again."), 401)
    try:
        return AccessClaims(int(data["c"]), int(data["p"]), str(data["s"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise AppError("bad_token", _("The access token is not valid: log in again."), 401) from exc


__all__ = ["AccessClaims", "SignatureExpired", "issue", "read"]
