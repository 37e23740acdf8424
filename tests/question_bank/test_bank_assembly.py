"""Assembly: papers meet the blueprint, are rebuilt from the seed, differ between candidates; stock checks."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.assembly import Assembler, PoolItem, StockError, assemble, stock_problems
from question_bank.blueprint import Blueprint, Draw, Section, load_preset


def make_pool(spec: dict[str, int], cats: tuple[str, ...] = ("a", "b", "c"), diffs=("mudah", "sulit")):
    pool, vid, oid = [], 1, 1
    for code, n in spec.items():
        for i in range(n):
            opts = tuple(range(oid, oid + 5))
            oid += 5
            pool.append(PoolItem(vid, code, cats[i % len(cats)], diffs[(i // len(cats)) % len(diffs)], opts))
            vid += 1
    return pool


def check_meets(bp: Blueprint, pool: list[PoolItem], layout: dict) -> None:
    by_vid = {p.version_id: p for p in pool}
    assert [s["code"] for s in layout["subtests"]] == [s.code for s in bp.sections]
    seen: set[int] = set()
    for sec, sub in zip(bp.sections, layout["subtests"], strict=True):
        assert sub["title"] == sec.title
        vids = [q["v"] for q in sub["questions"]]
        assert len(vids) == sec.count
        assert not seen.intersection(vids) and len(set(vids)) == len(vids)
        seen.update(vids)
        items = [by_vid[v] for v in vids]
        assert all(it.subtest == sec.code for it in items)
        for q in sub["questions"]:
            assert sorted(q["o"]) == sorted(by_vid[q["v"]].option_ids)
        # pinned draws can be satisfied by disjoint sets of the chosen items (greedy is exact for disjoint draws)
        for d in sec.draws:
            match = [
                it for it in items if (d.category in (None, it.category)) and (d.difficulty in (None, it.difficulty))
            ]
            assert len(match) >= d.count


def test_skd_paper_shape_and_determinism():
    bp = load_preset("skd")
    pool = make_pool({"TWK": 60, "TIU": 70, "TKP": 90})
    a = assemble(bp, pool, 42)
    check_meets(bp, pool, a)
    assert a == assemble(bp, pool, 42)
    assert a != assemble(bp, pool, 43)
    assert set(a) == {"subtests"} and set(a["subtests"][0]["questions"][0]) == {"v", "o"}


def test_no_shuffle_keeps_bank_order_and_option_order():
    bp = Blueprint("x", "x", 600, (Section("TIU", "TIU", 4),), shuffle_questions=False, shuffle_options=False)
    pool = make_pool({"TIU": 4})
    layout = assemble(bp, pool, 7)
    assert [q["v"] for q in layout["subtests"][0]["questions"]] == [1, 2, 3, 4]
    assert [q["o"] for q in layout["subtests"][0]["questions"]] == [list(p.option_ids) for p in pool]


def test_truefalse_options_keep_their_order():
    pool = [PoolItem(i, "X", None, None, (2 * i, 2 * i + 1), "truefalse") for i in range(1, 30)]
    bp = Blueprint("x", "x", 600, (Section("X", "X", 29),))
    for q in assemble(bp, pool, 3)["subtests"][0]["questions"]:
        assert q["o"] == sorted(q["o"])


def test_option_order_is_shuffled_for_long_option_lists_too():
    pool = [PoolItem(1, "X", None, None, tuple(range(10)))]
    bp = Blueprint("x", "x", 600, (Section("X", "X", 1),))
    orders = {tuple(assemble(bp, pool, s)["subtests"][0]["questions"][0]["o"]) for s in range(20)}
    assert len(orders) > 1 and all(sorted(o) == list(range(10)) for o in orders)


def test_stock_problems_name_what_is_missing():
    bp = load_preset("skd")
    pool = make_pool({"TWK": 30, "TIU": 20, "TKP": 0})
    assert stock_problems(bp, pool) == ["TIU: 35 items needed, 20 in the bank", "TKP: 45 items needed, 0 in the bank"]
    with pytest.raises(StockError) as err:
        assemble(bp, pool, 1)
    assert "TIU: 35 items needed, 20 in the bank" in err.value.problems
    assert stock_problems(bp, make_pool({"TWK": 30, "TIU": 35, "TKP": 45})) == []


def test_stock_problems_for_draws():
    pool = make_pool({"TWK": 12})  # categories a,b,c × 4; difficulties alternate in blocks of 3
    bp = Blueprint("x", "x", 600, (Section("TWK", "TWK", 8, (Draw(5, "a"),)),))
    assert stock_problems(bp, pool) == ["TWK: 5 items of category 'a' needed, 4 in the bank"]
    both = Blueprint("x", "x", 600, (Section("TWK", "TWK", 8, (Draw(1, "a", "sulit"), Draw(3, "a"))),))
    assert stock_problems(bp, pool)[0].startswith("TWK") and stock_problems(both, pool) == []
    # overlapping draws that cannot all be met at once
    clash = Blueprint(
        "x", "x", 600, (Section("TWK", "TWK", 8, (Draw(2, "a"), Draw(2, None, "mudah"), Draw(2, "a", "mudah"))),)
    )
    mudah_a = sum(1 for p in pool if p.category == "a" and p.difficulty == "mudah")
    assert mudah_a == 2
    assert stock_problems(clash, pool) == []  # needs re-routing: 2 a&mudah, 2 a&sulit, 2 b/c mudah
    clash2 = Blueprint("x", "x", 600, (Section("TWK", "TWK", 8, (Draw(4, "a"), Draw(3, "a", "mudah"))),))
    assert "3 items of category 'a' and difficulty 'mudah' needed, 2 in the bank" in stock_problems(clash2, pool)[0]
    clash3 = Blueprint("x", "x", 600, (Section("TWK", "TWK", 8, (Draw(2, "a"), Draw(2, "a", "mudah"))),))
    assert stock_problems(clash3, pool) == []
    clash4 = Blueprint("x", "x", 600, (Section("TWK", "TWK", 8, (Draw(3, "a"), Draw(2, "a", "sulit"))),))
    assert "cannot fill all of them" in stock_problems(clash4, pool)[0]


def test_overlapping_draws_are_met_on_every_paper():
    pool = make_pool({"TWK": 40})
    bp = Blueprint(
        "x", "x", 600, (Section("TWK", "TWK", 12, (Draw(5, "a"), Draw(3, None, "sulit"), Draw(2, "b", "sulit"))),)
    )
    asm = Assembler(bp, pool)
    assert asm.problems == []
    by_vid = {p.version_id: p for p in pool}
    for seed in range(200):
        layout = asm.paper(seed)
        check_meets(bp, pool, layout)
        items = [by_vid[q["v"]] for q in layout["subtests"][0]["questions"]]
        # an exact assignment exists: b&sulit ≥ 2, then sulit not used by b-draw ≥ 3, a (not double-counted) ≥ 5
        b_sulit = [i for i in items if i.category == "b" and i.difficulty == "sulit"]
        other_sulit = [i for i in items if i.difficulty == "sulit" and i.category != "a" and i not in b_sulit[:2]]
        a_any = [i for i in items if i.category == "a"]
        a_sulit = [i for i in a_any if i.difficulty == "sulit"]
        assert len(b_sulit) >= 2
        need_sulit_from_a = max(0, 3 - len(other_sulit))
        assert len(a_any) - need_sulit_from_a >= 5 and len(a_sulit) >= need_sulit_from_a


def test_two_candidates_differ_and_seeds_spread():
    bp = load_preset("skd")
    asm = Assembler(bp, make_pool({"TWK": 30, "TIU": 35, "TKP": 45}))  # exactly enough: differ in order only
    papers = [asm.paper(s) for s in range(50)]
    assert len({str(p) for p in papers}) == 50
    firsts = Counter(p["subtests"][0]["questions"][0]["v"] for p in papers)
    assert len(firsts) > 10


sizes = st.integers(min_value=0, max_value=25)


@settings(max_examples=60, deadline=None)
@given(
    twk=sizes,
    tiu=sizes,
    counts=st.tuples(st.integers(1, 10), st.integers(1, 10)),
    pinned=st.integers(0, 4),
    cat=st.sampled_from(["a", "b", "c"]),
    seed=st.integers(0, 2**63 - 1),
    shuffle=st.booleans(),
)
def test_property_assembly_meets_blueprint_or_reports(twk, tiu, counts, pinned, cat, seed, shuffle):
    draws = (Draw(min(pinned, counts[0]), cat),) if pinned else ()
    bp = Blueprint(
        "p",
        "p",
        600,
        (Section("TWK", "W", counts[0], draws), Section("TIU", "I", counts[1])),
        shuffle_questions=shuffle,
        shuffle_options=shuffle,
    )
    pool = make_pool({"TWK": twk, "TIU": tiu})
    problems = stock_problems(bp, pool)
    have_cat = sum(1 for p in pool if p.subtest == "TWK" and p.category == cat)
    feasible = twk >= counts[0] and tiu >= counts[1] and (not draws or have_cat >= draws[0].count)
    assert (problems == []) == feasible
    if feasible:
        layout = assemble(bp, pool, seed)
        check_meets(bp, pool, layout)
        assert layout == assemble(bp, pool, seed)


@settings(max_examples=30, deadline=None)
@given(seed_a=st.integers(0, 2**63 - 1), seed_b=st.integers(0, 2**63 - 1))
def test_property_two_candidates_papers_differ(seed_a, seed_b):
    if seed_a == seed_b:
        return
    bp = load_preset("skd")
    pool = make_pool({"TWK": 40, "TIU": 45, "TKP": 60})
    assert assemble(bp, pool, seed_a) != assemble(bp, pool, seed_b)


def _max_matching(slots: list[Draw], items: list[PoolItem]) -> int:
    """Exact check, independent of the assembler: how many draw slots can distinct items fill at once."""
    owner: dict[int, int] = {}

    def fits(d: Draw, it: PoolItem) -> bool:
        return d.category in (None, it.category) and d.difficulty in (None, it.difficulty)

    def augment(s: int, seen: set[int]) -> bool:
        for j, it in enumerate(items):
            if j in seen or not fits(slots[s], it):
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = s
                return True
        return False

    return sum(augment(s, set()) for s in range(len(slots)))


draws_st = st.lists(
    st.builds(
        Draw, st.integers(1, 3), st.sampled_from([None, "a", "b", "c"]), st.sampled_from([None, "mudah", "sulit"])
    ),
    min_size=1,
    max_size=3,
).filter(lambda ds: all(d.category or d.difficulty for d in ds))


@settings(max_examples=150, deadline=None)
@given(n=st.integers(0, 18), draws=draws_st, extra=st.integers(0, 3), seed=st.integers(0, 2**32))
def test_property_overlapping_draws_exact(n, draws, extra, seed):
    pool = make_pool({"TWK": n})
    count = sum(d.count for d in draws) + extra
    bp = Blueprint("p", "p", 600, (Section("TWK", "TWK", count, tuple(draws)),))
    slots = [d for d in draws for _ in range(d.count)]
    feasible = n >= count and _max_matching(slots, pool) == len(slots)
    assert (stock_problems(bp, pool) == []) == feasible
    if feasible:
        by_vid = {p.version_id: p for p in pool}
        layout = assemble(bp, pool, seed)
        chosen = [by_vid[q["v"]] for q in layout["subtests"][0]["questions"]]
        assert len(chosen) == count and len(set(q.version_id for q in chosen)) == count
        assert _max_matching(slots, chosen) == len(slots)  # this paper itself meets every draw at once
