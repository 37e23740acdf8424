"""The structural checks a NIK (*Nomor Induk Kependudukan*) allows: region codes and the date of birth it encodes.

A NIK is PP KK CC DDMMYY SSSS: province, regency/city, district, date of birth (day + 40 for women), serial.
Nothing here proves the number was issued (only Dukcapil can); it catches typing errors and a wrong birth date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ground.i18n import _

# province codes of Kemendagri (Aceh 11 … Papua Barat Daya 96)
PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65,
     71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96]
)
NIK_RE = re.compile(r"^\d{16}$")


class NikError(ValueError):
    """A NIK that cannot be right, with the reason in the reader's language."""


@dataclass(frozen=True)
class Nik:
    """A NIK that passed the structural checks, with what it encodes."""

    number: str
    province: int
    sex: str  # "F" when the day carries +40, else "M"
    day: int
    month: int
    year2: int  # the two digits of the birth year


def parse(raw: str) -> Nik:
    """The NIK's parts when it is structurally plausible; NikError names what is wrong."""
    number = re.sub(r"[\s.-]", "", raw or "")
    if not NIK_RE.match(number):
        raise NikError(_("A NIK has exactly 16 digits."))
    province = int(number[0:2])
    if province not in PROVINCES:
        raise NikError(_("The NIK does not start with a province code."))
    if number[2:4] == "00" or number[4:6] == "00":
        raise NikError(_("The NIK's regency or district code is not valid."))
    day, month, year2 = int(number[6:8]), int(number[8:10]), int(number[10:12])
    sex = "F" if day > 40 else "M"
    if sex == "F":
        day -= 40
    if not 1 <= month <= 12 or not 1 <= day <= 31 or not _exists(day, month, year2):
        raise NikError(_("The NIK does not encode a real date of birth."))
    if number[12:16] == "0000":
        raise NikError(_("The NIK's serial number is not valid."))
    return Nik(number, province, sex, day, month, year2)


def _exists(day: int, month: int, year2: int) -> bool:
    """Whether the day exists in that month of 19YY or 20YY (29 February needs a leap year in one of them)."""
    for century in (1900, 2000):
        try:
            date(century + year2, month, day)
            return True
        except ValueError:
            continue
    return False


def check(raw: str, born: date) -> Nik:
    """The NIK, when it is plausible and encodes ``born``; NikError otherwise."""
    nik = parse(raw)
    if (nik.day, nik.month, nik.year2) != (born.day, born.month, born.year % 100):
        raise NikError(_("The NIK does not match the date of birth."))
    return nik
