"""A question's points (one option, or a multiple-response set) clamped to its item's score bounds, by hand."""

from __future__ import annotations

from scoring.points import AWARD, DROP, clamp, stored_choice, subtest_points
from scoring.receipts import answers_digest, canonical_answer

LAYOUT = {"subtests": [{"code": "TIU", "questions": [{"v": 1, "o": [11, 12, 13]}, {"v": 2, "o": [21, 22]}]}]}
POINTS = {1: {11: 5.0, 12: -2.5, 13: 0.0}, 2: {21: 6.0, 22: 1.0}}


def test_clamp_applies_each_side_that_is_given() -> None:
    assert clamp(-2.5, (0, None)) == 0 and clamp(7, (None, 4)) == 4 and clamp(3, (0, 4)) == 3
    assert clamp(-2.5, None) == -2.5 and clamp(-2.5, (None, None)) == -2.5


def test_a_negative_option_under_a_lower_bound_scores_the_bound() -> None:
    unbounded = subtest_points(LAYOUT, {1: 12, 2: 21}, POINTS)
    assert unbounded == {"TIU": 3.5}
    bounded = subtest_points(LAYOUT, {1: 12, 2: 21}, POINTS, bounds={1: (0.0, None), 2: (None, 4.0)})
    assert bounded == {"TIU": 4.0}, "question 1: -2.5 → 0; question 2: 6 → 4"
    assert subtest_points(LAYOUT, {1: 11, 2: 22}, POINTS, bounds={1: (0.0, None)}) == {"TIU": 6.0}, "inside: as is"


def test_a_blank_scores_0_even_under_a_lower_bound_above_0() -> None:
    # QTI's map_response template sets SCORE to 0 for a NULL response; the bound applies to mapResponse only
    assert subtest_points(LAYOUT, {}, POINTS, bounds={1: (1.0, None)}) == {"TIU": 0.0}
    assert subtest_points(LAYOUT, {1: 99}, POINTS, bounds={1: (1.0, None)}) == {"TIU": 0.0}, "not shown: blank"


def test_annulments_meet_the_bounds() -> None:
    bounds = {2: (None, 4.0)}
    assert subtest_points(LAYOUT, {1: 13}, POINTS, {2: AWARD}, bounds) == {"TIU": 4.0}, "the best option, clamped"
    assert subtest_points(LAYOUT, {1: 12}, POINTS, {1: DROP}, {1: (0.0, None)}) == {"TIU": 0.0}


# A multiple-response question (QTI cardinality="multiple"): options worth 3, 3, 0 and -2, scored within 0..5.
MR_LAYOUT = {"subtests": [{"code": "TIU", "questions": [{"v": 3, "o": [31, 32, 33, 34], "m": True}]}]}
MR_POINTS = {3: {31: 3.0, 32: 3.0, 33: 0.0, 34: -2.0}}
MR_BOUNDS = {3: (0.0, 5.0)}


def test_a_set_scores_the_sum_of_its_options_clamped_to_the_bounds() -> None:
    def score(chosen: object, bounds: object = MR_BOUNDS) -> float:
        return subtest_points(MR_LAYOUT, {3: chosen}, MR_POINTS, bounds=bounds)["TIU"]  # type: ignore[arg-type]

    assert score((31,)) == 3.0 and score((31, 33)) == 3.0
    assert score((31, 32)) == 5.0, "3 + 3 = 6, above the upper bound 5"
    assert score((31, 32), None) == 6.0, "without bounds, the plain sum"
    assert score((33, 34)) == 0.0 and score((33, 34), None) == -2.0, "below the lower bound 0: 0"
    assert score((31, 34)) == 1.0
    assert score(()) == 0.0 and score(None) == 0.0, "an empty set is a blank"
    assert score((99,), {3: (1.0, None)}) == 0.0, "an option not shown on the question: a blank, not clamped"
    assert score((31, 31, 32)) == 5.0, "an option counts once"
    assert score([32, 31]) == score((31, 32)), "order does not matter"


def test_an_awarded_set_gives_its_positive_options_and_a_dropped_one_nothing() -> None:
    assert subtest_points(MR_LAYOUT, {3: (34,)}, MR_POINTS, {3: AWARD}) == {"TIU": 6.0}
    assert subtest_points(MR_LAYOUT, {3: (34,)}, MR_POINTS, {3: AWARD}, MR_BOUNDS) == {"TIU": 5.0}
    assert subtest_points(MR_LAYOUT, {3: (31,)}, MR_POINTS, {3: DROP}, MR_BOUNDS) == {"TIU": 0.0}


def test_a_stored_row_reads_as_an_option_a_set_or_a_blank() -> None:
    assert stored_choice(12, None) == 12 and stored_choice(None, [34, 31]) == (31, 34)
    assert stored_choice(None, None) is None and stored_choice(None, []) is None


def test_the_receipt_hashes_a_set_in_one_canonical_form() -> None:
    assert canonical_answer(12, None) == "12", "a single answer as receipts always had it"
    assert canonical_answer(None, [34, 9, 31]) == ["9", "31", "34"], "numeric order, as text"
    assert canonical_answer(None, []) is None and canonical_answer(None, None) is None
    one = answers_digest({"3": canonical_answer(None, [31, 32]), "1": "12"})
    assert one == answers_digest({"1": "12", "3": canonical_answer(None, [32, 31])})
    assert one != answers_digest({"1": "12", "3": canonical_answer(None, [31])})
