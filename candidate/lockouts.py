"""Candidate login limits in one place, so the login API and the proctor's "clear lockout" count the same keys."""

from __future__ import annotations

from ground.ratelimit import SignInGuard
from ground.runtime import Runtime

KIND = "candidate"
# failures an address may make, in units of one candidate's allowance: a room behind one NAT address (or a room
# of typists on shared PCs) must not lock itself out, while guessing room tokens from one address stays bounded
ADDRESS_FACTOR = 40


def guard(rt: Runtime) -> SignInGuard:
    """This installation's candidate login guard (per process, or shared through Redis)."""
    return rt.sign_in_guard(KIND, address_factor=ADDRESS_FACTOR)


def account(exam_id: int, participant_no: str) -> str:
    """The key of one candidate's failed PINs: an exam's participant (numbers repeat across exams)."""
    return f"{exam_id}:{participant_no.strip()}"
