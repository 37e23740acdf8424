"""The structural checks a NIP (*Nomor Induk Pegawai*, 18 digits) allows, like registration/nik.py for the NIK.

A NIP is YYYYMMDD YYYYMM S NNN: date of birth, year and month of appointment (TMT CPNS), sex (1 man, 2 woman), serial.
Nothing here proves the number was issued (only BKN can); it catches typing errors and a wrong birth date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ground.i18n import _

NIP_RE = re.compile(r"^\d{18}$")
MIN_AGE = 15  # nobody is appointed younger: an appointment before this is a typing error


class NipError(ValueError):
    """A NIP that cannot be right, with the reason in the reader's language."""


@dataclass(frozen=True)
class Nip:
    """A NIP that passed the structural checks, with what it encodes."""

    number: str
    birth_date: date
    appointed: tuple[int, int]  # (year, month) of appointment
    sex: str  # "M" (1) or "F" (2)
    serial: int


def parse(raw: str, today: date | None = None) -> Nip:
    """The NIP's parts when it is structurally plausible; NipError names what is wrong."""
    number = re.sub(r"[\s.-]", "", str(raw or ""))
    if not NIP_RE.match(number):
        raise NipError(_("A NIP has exactly 18 digits."))
    try:
        born = date(int(number[0:4]), int(number[4:6]), int(number[6:8]))
    except ValueError:
        raise NipError(_("The NIP does not start with a real date of birth (YYYYMMDD).")) from None
    if born.year < 1940 or (today is not None and born > today):
        raise NipError(_("The NIP does not start with a real date of birth (YYYYMMDD)."))
    year, month = int(number[8:12]), int(number[12:14])
    if not 1 <= month <= 12:
        raise NipError(_("The NIP's appointment month (digits 13-14) is not a month."))
    if year < born.year + MIN_AGE or (today is not None and (year, month) > (today.year, today.month)):
        raise NipError(_("The NIP's appointment year %(year)s cannot follow a birth in %(born)s.", year=year,
                         born=born.year))
    if number[14] not in "12":
        raise NipError(_("The NIP's sex digit (digit 15) is 1 or 2."))
    if number[15:18] == "000":
        raise NipError(_("The NIP's serial number is not valid."))
    return Nip(number, born, (year, month), "M" if number[14] == "1" else "F", int(number[15:18]))
