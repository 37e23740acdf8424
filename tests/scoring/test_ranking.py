"""Ranking per formation with hand-computed cases: each tie-break level, ties at the cut, failures, absentees."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.presets import RulesError
from scoring.ranking import rank_within_groups
from scoring.selection import Entrant, ranking_json, select_entrants


def e(no: str, twk: float, tiu: float, tkp: float, formation: str = "F1", quota: int = 1, path: str = "general"):
    return Entrant(no, formation, quota, {"TWK": twk, "TIU": tiu, "TKP": tkp}, path)


def by_no(formations):
    return {r.entrant.participant_no: r for f in formations for r in f.rows}


def test_total_orders_first() -> None:
    out = by_no(select_entrants([e("a", 100, 100, 200), e("b", 100, 105, 200)], "skd-2024"))
    assert (out["b"].rank, out["a"].rank) == (1, 2)


def test_tie_on_total_broken_by_tkp() -> None:
    # both total 400; a has TKP 200, b has TKP 195
    out = by_no(select_entrants([e("b", 100, 105, 195), e("a", 100, 100, 200)], "skd-2024"))
    assert (out["a"].rank, out["b"].rank) == (1, 2)


def test_tie_on_total_and_tkp_broken_by_tiu() -> None:
    # total 400, TKP 200 each; TIU 105 beats 100
    out = by_no(select_entrants([e("a", 100, 100, 200), e("b", 95, 105, 200)], "skd-2024"))
    assert (out["b"].rank, out["a"].rank) == (1, 2)


def test_tie_on_total_tkp_tiu_broken_by_twk_is_impossible_so_exact_tie() -> None:
    # with the SKD keys equal total + TKP + TIU forces equal TWK: an exact tie shares the rank
    out = by_no(select_entrants([e("a", 100, 100, 200), e("b", 100, 100, 200)], "skd-2024"))
    assert out["a"].rank == out["b"].rank == 1


def test_twk_level_with_custom_keys() -> None:
    rules = {"preset": "skd-2024", "tie_break": ["TWK"]}
    out = by_no(select_entrants([e("a", 90, 110, 200), e("b", 95, 105, 200)], rules))
    assert (out["b"].rank, out["a"].rank) == (1, 2)


def test_exact_ties_at_the_quota_boundary_all_advance() -> None:
    # quota 1 → 3 slots. Ranks: x=1, y=2, then three exactly tied at 3 → 5 go on; w (rank 6) does not.
    cands = [
        e("x", 120, 150, 200),
        e("y", 110, 150, 200),
        e("t1", 100, 150, 200),
        e("t2", 100, 150, 200),
        e("t3", 100, 150, 200),
        e("w", 100, 145, 200),
    ]
    (f,) = select_entrants(cands, "skd-2024")
    assert f.slots == 3
    got = {r.entrant.participant_no: (r.rank, r.advances, r.code) for r in f.rows}
    assert got == {
        "x": (1, True, "P/L"),
        "y": (2, True, "P/L"),
        "t1": (3, True, "P/L"),
        "t2": (3, True, "P/L"),
        "t3": (3, True, "P/L"),
        "w": (6, False, "P"),
    }


def test_top_total_failing_one_grade_is_not_ranked() -> None:
    cands = [e("top", 150, 175, 160), e("ok", 65, 80, 166)]
    out = by_no(select_entrants(cands, "skd-2024"))
    assert out["top"].rank is None and out["top"].code == "TL" and out["top"].reasons == ["TKP 160 < 166"]
    assert out["ok"].rank == 1 and out["ok"].code == "P/L"


def test_formation_with_nobody_passing_and_absentees() -> None:
    cands = [
        e("f1", 10, 10, 100, formation="EMPTY", quota=2),
        Entrant("abs", "EMPTY", 2, None),
        e("g1", 100, 100, 200, formation="OK", quota=1),
    ]
    formations = select_entrants(cands, "skd-2024")
    data = ranking_json(formations)
    assert data == {
        "formations": [
            {
                "formation": "EMPTY",
                "quota": 2,
                "slots": 6,
                "ranking": [
                    {"rank": None, "participant_no": "f1", "total": 120, "passed": False, "advances": False,
                     "code": "TL"},
                    {"rank": None, "participant_no": "abs", "total": None, "passed": False, "advances": False,
                     "code": "TH"},
                ],
            },
            {
                "formation": "OK",
                "quota": 1,
                "slots": 3,
                "ranking": [
                    {"rank": 1, "participant_no": "g1", "total": 400, "passed": True, "advances": True, "code": "P/L"},
                ],
            },
        ]
    }


def test_entry_paths_are_separate_formations_with_their_grades() -> None:
    cands = [
        e("g", 65, 80, 166, quota=1),
        e("c", 30, 85, 200, quota=1, path="cum laude"),  # 315 ≥ 311, TIU 85: passes though TWK/TKP low
        e("d", 30, 85, 190, quota=1, path="cum laude"),  # 305 < 311
    ]
    formations = select_entrants(cands, "skd-2024")
    assert [f.label for f in formations] == ["F1", "F1 (cum_laude)"]
    out = by_no(formations)
    assert out["c"].code == "P/L" and out["d"].code == "TL" and out["d"].reasons == ["total 305 < 311"]


def test_quota_zero_means_nobody_goes_on() -> None:
    (f,) = select_entrants([e("a", 100, 100, 200, quota=0)], "skd-2024")
    assert f.slots == 0 and f.rows[0].code == "P" and f.rows[0].rank == 1


def test_two_quotas_for_one_formation_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RulesError, match="dua kuota: 1 dan 2"):  # in the installation's language (Indonesian)
        select_entrants([e("a", 100, 100, 200, quota=1), e("b", 100, 100, 200, quota=2)], "skd-2024")
    monkeypatch.setenv("EXAM_LOCALE", "en")
    with pytest.raises(RulesError, match="two quotas: 1 and 2"):
        select_entrants([e("a", 100, 100, 200, quota=1), e("b", 100, 100, 200, quota=2)], "skd-2024")


def test_rank_core_packed_and_lexsort_paths_agree() -> None:
    rng = np.random.default_rng(3)
    n = 5000
    group = rng.integers(0, 40, n)
    eligible = rng.random(n) < 0.7
    a = rng.integers(0, 20, n).astype(float)
    b = rng.integers(0, 5, n).astype(float)
    slots = rng.integers(0, 10, 40)
    packed = rank_within_groups(group, eligible, [a, b], slots)
    frac = rank_within_groups(group, eligible, [a + 0.5 * (a > 100), b + 1e-3], slots)  # non-integers: lexsort path
    assert np.array_equal(packed.rank, frac.rank) and np.array_equal(packed.advances, frac.advances)
    # brute force
    for i in np.flatnonzero(eligible)[:300]:
        same = (group == group[i]) & eligible
        better = same & ((a > a[i]) | ((a == a[i]) & (b > b[i])))
        assert packed.rank[i] == better.sum() + 1
        assert packed.advances[i] == (packed.rank[i] <= slots[group[i]])
    assert (packed.rank[~eligible] == 0).all()


def test_rank_core_empty_input() -> None:
    out = rank_within_groups(np.zeros(0, int), np.zeros(0, bool), [np.zeros(0)], np.zeros(0, int))
    assert out.rank.shape == (0,) and out.order.shape == (0,)
