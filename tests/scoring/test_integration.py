"""SKD + SKB integration: scaling, half-up rounding, each final tie-break level, codes (hand-computed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from scoring.integration import (
    FinalEntrant,
    FinalTieNote,
    final_score,
    final_tie_notes,
    integrate,
    parse_weights,
    resolve_integration,
)
from scoring.presets import RulesError

pytestmark = pytest.mark.usefixtures("english")  # refusals asserted in their English source form

SKD = {"TWK": 100.0, "TIU": 140.0, "TKP": 200.0}  # 440


def fe(no: str, skd: float | None = 440, skb: float | None = 80, **kw) -> FinalEntrant:
    scores = kw.pop("scores", SKD)
    return FinalEntrant(no, kw.pop("formation", "F"), kw.pop("quota", 1), skd, scores, skb=skb, **kw)


def ranked(formations):
    return [(r.entrant.participant_no, r.rank, r.code) for f in formations for r in f.rows]


def test_scaling_and_rounding_by_hand() -> None:
    rules = resolve_integration(None)
    skd, skb, final = final_score(450, 80, rules)
    # 450 / 550 × 100 = 81.8181…; 0.4 × 81.8181… + 0.6 × 80 = 32.7272… + 48 = 80.7272… → 80.727
    assert str(final) == "80.727"
    assert round(float(skd), 4) == 81.8182 and skb == 80


def test_half_up_not_bankers_rounding() -> None:
    rules = resolve_integration({"skd_weight": 50, "skb_weight": 50, "skd_max": 100})
    # (80.001 + 80.000) / 2 = 80.0005 → 80.001 (banker's rounding or binary floats would give 80.000)
    assert final_score(80.001, 80.0, rules)[2] == Decimal("80.001")
    assert final_score(80.0, 80.0, rules)[2] == Decimal("80.000")


def test_ranked_on_the_rounded_final_then_skd_total() -> None:
    # A: 440 → 80.0 scaled; 0.4×80 + 0.6×80 = 80.000
    # B: 385 → 70.0 scaled; 0.4×70 + 0.6×86.667 = 28 + 52.0002 = 80.0002 → 80.000: tie, SKD total decides
    out = integrate([fe("B", 385, 86.667, scores={"TWK": 100, "TIU": 100, "TKP": 185}), fe("A", 440, 80)])
    assert ranked(out) == [("A", 1, "P/L"), ("B", 2, "P/TL")]
    assert [str(r.final) for r in out[0].rows] == ["80.000", "80.000"]


@pytest.mark.parametrize(
    ("a_kw", "b_kw", "level"),
    [
        ({"scores": {"TWK": 90, "TIU": 140, "TKP": 210}}, {}, "TKP"),
        ({"scores": {"TWK": 95, "TIU": 145, "TKP": 200}}, {}, "TIU"),
        ({"scores": {"TWK": 100, "TIU": 140, "TKP": 200}, "gpa": 3.8}, {"gpa": 3.5}, "gpa"),
        ({"gpa": 3.5, "birth_date": date(1990, 5, 1)}, {"gpa": 3.5, "birth_date": date(1995, 5, 1)}, "age"),
        ({"gpa": 3.5}, {"gpa": None}, "gpa missing ranks last"),
    ],
)
def test_each_final_tie_break_level(a_kw, b_kw, level) -> None:
    # equal final and SKD total; A wins at ``level`` (B keeps the default scores)
    out = integrate([fe("B", **b_kw), fe("A", **a_kw)])
    assert ranked(out) == [("A", 1, "P/L"), ("B", 2, "P/TL")], level


def test_twk_level_with_configured_keys() -> None:
    rules = {"tie_break": ["TWK"]}
    out = integrate([fe("B", scores={"TWK": 95, "TIU": 145, "TKP": 200}), fe("A")], rules)
    assert ranked(out) == [("A", 1, "P/L"), ("B", 2, "P/TL")]


def test_exact_tie_on_every_key_at_the_quota_all_selected() -> None:
    same = {"gpa": 3.5, "birth_date": date(1993, 1, 1)}
    out = integrate([fe("A", **same), fe("B", **same), fe("C", 300, 70)])
    assert ranked(out) == [("A", 1, "P/L"), ("B", 1, "P/L"), ("C", 3, "P/TL")]


def test_codes_for_absent_withdrawn_and_unmet() -> None:
    out = integrate([
        fe("ok"),
        fe("aps", skb_status="withdrawn"),
        fe("th", skb=None, skb_status="absent"),
        fe("noskb", skb=None),
        fe("skdfail", skd_eligible=False),
        fe("skbfail", skb_passed=False),
    ])
    got = {no: code for no, _, code in ranked(out)}
    assert got == {"ok": "P/L", "aps": "APS", "th": "TH", "noskb": "TMS", "skdfail": "TMS", "skbfail": "TMS"}


def test_formation_where_nobody_qualifies() -> None:
    out = integrate([fe("a", skb=None), fe("b", skb_status="withdrawn", formation="G")])
    assert [(f.formation, [r.selected for r in f.rows]) for f in out] == [("F", [False]), ("G", [False])]


def test_weights_and_bad_rules() -> None:
    assert parse_weights("40/60") == (40.0, 60.0)
    with pytest.raises(RulesError, match="weights must look like 40/60"):
        parse_weights("forty")
    with pytest.raises(RulesError, match="unknown integration key"):
        resolve_integration({"colour": 1})
    with pytest.raises(RulesError, match="decimals must be a whole number"):
        resolve_integration({"decimals": 1.5})
    with pytest.raises(RulesError, match="neither final, skd_total"):
        integrate([fe("a")], {"tie_break": ["height"]})
    with pytest.raises(RulesError, match="SKB score 120 is outside 0–100"):
        integrate([fe("a", skb=120)])


def test_integration_rules_refusals_in_indonesian(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAM_LOCALE", "id")  # the installation's default language
    with pytest.raises(RulesError, match="bobot harus berbentuk seperti 40/60, bukan 'forty'"):
        parse_weights("forty")
    with pytest.raises(RulesError, match="kunci integrasi tidak dikenal: colour"):
        resolve_integration({"colour": 1})
    with pytest.raises(RulesError, match="jumlah desimal integrasi harus bilangan bulat 0–6, bukan 1.5"):
        resolve_integration({"decimals": 1.5})


def test_tie_notes_name_the_key_that_ordered_each_equal_final_score() -> None:
    """Equal finals: SKD total decides first, then TKP, TIU, TWK, then GPA, then age (the older first; unknown last);
    equal on every key: a shared rank."""
    low_tkp = {"TWK": 110.0, "TIU": 140.0, "TKP": 190.0}  # the same 440 with less TKP
    older, younger = date(1990, 1, 1), date(1995, 1, 1)
    (f,) = integrate([fe("A", gpa=3.9), fe("B", scores=low_tkp), fe("C", gpa=3.5), fe("D", gpa=3.5, birth_date=older),
                      fe("E", gpa=3.5, birth_date=younger), fe("F", gpa=3.5, birth_date=younger)])
    order = [r.entrant.participant_no for r in f.rows]
    assert order == ["A", "D", "E", "F", "C", "B"]
    assert final_tie_notes(f, resolve_integration(None).tie_break) == [
        None, FinalTieNote("gpa", 3.9, 3.5), FinalTieNote("age", older, younger), FinalTieNote(None),
        FinalTieNote("age", younger, None), FinalTieNote("TKP", 200.0, 190.0)]
