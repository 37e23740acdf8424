"""NIK structure: province and region codes, the date of birth in digits 7-12 (+40 on the day for women), and its
agreement with the date of birth the applicant gives."""

from __future__ import annotations

from datetime import date

import pytest

from registration import nik

MAN = "3201011505900001"  # Kab. Bogor, born 15 May 1990, man
WOMAN = "3273055505920007"  # Kota Bandung, born 15 May 1992, woman (day 15 + 40)


def test_a_man_and_a_woman() -> None:
    man = nik.check(MAN, date(1990, 5, 15))
    assert (man.province, man.sex, man.day, man.month, man.year2) == (32, "M", 15, 5, 90)
    woman = nik.check(WOMAN, date(1992, 5, 15))
    assert (woman.sex, woman.day) == ("F", 15)
    assert nik.check("3201 0115 0590 0001", date(1990, 5, 15)).number == MAN  # spaces as printed on a KTP
    assert nik.parse("9101014102000001").sex == "F"  # Papua, 1 February 2000


@pytest.mark.parametrize(("number", "why"), [
    ("320101150590001", "16 digits"),
    ("32010115059000012", "16 digits"),
    ("32010115059000a1", "16 digits"),
    ("9901011505900001", "province"),
    ("2001011505900001", "province"),
    ("3200011505900001", "regency"),
    ("3201001505900001", "regency"),
    ("3201013102900001", "date of birth"),  # 31 February
    ("3201011513900001", "date of birth"),  # month 13
    ("3201017205900001", "date of birth"),  # 72 - 40 = 32
    ("3201014005900001", "date of birth"),  # day 0 of a woman
    ("3201012902010001", "date of birth"),  # 29 February 1901 / 2001: no leap year
    ("3201011505900000", "serial"),
])
def test_malformed_numbers_say_why(number: str, why: str, english: None) -> None:
    with pytest.raises(nik.NikError, match=why):
        nik.parse(number)


def test_29_february_of_a_leap_year_is_a_date() -> None:
    assert nik.check("3201012902000001", date(2000, 2, 29)).day == 29


@pytest.mark.parametrize("born", [date(1990, 5, 16), date(1990, 6, 15), date(1991, 5, 15), date(2090, 5, 16)])
def test_a_nik_that_disagrees_with_the_date_of_birth(born: date, english: None) -> None:
    with pytest.raises(nik.NikError, match="does not match the date of birth"):
        nik.check(MAN, born)


def test_a_woman_must_not_enter_the_plus_40_day_as_her_birth_date() -> None:
    with pytest.raises(nik.NikError):
        nik.check(WOMAN, date(1992, 5, 55 - 40 + 1))


def test_messages_are_indonesian_by_default() -> None:
    with pytest.raises(nik.NikError, match="16 digit"):
        nik.parse("123")
