"""A question's points clamped to its item's score bounds (QTI mapping lowerBound/upperBound), by hand."""

from __future__ import annotations

from scoring.points import AWARD, DROP, clamp, subtest_points

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
