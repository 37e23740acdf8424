"""Passing grades by preset and entry path, with hand-computed cases, one-by-one and vectorised."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.grading import grade, grade_matrix, path_codes, reasons_for
from scoring.presets import PRESETS, RulesError, normalise_path, preset, resolve_rules

pytestmark = pytest.mark.usefixtures("english")  # refusals asserted in their English source form


def test_skd_2024_pass_exactly_at_every_threshold() -> None:
    out = grade({"TWK": 65, "TIU": 80, "TKP": 166}, "skd-2024")
    assert out.passed and out.reasons == [] and out.total == 311
    assert out.subtests == {"TWK": 65.0, "TIU": 80.0, "TKP": 166.0}


def test_top_total_fails_one_grade_with_reason() -> None:
    out = grade({"TWK": 150, "TIU": 175, "TKP": 150}, "skd-2024")
    assert out.total == 475 and not out.passed
    assert out.reasons == ["TKP 150 < 166"]


def test_several_reasons_in_subtest_order() -> None:
    out = grade({"TWK": 60, "TIU": 75, "TKP": 200}, {"preset": "skd-2021"})
    assert out.reasons == ["TWK 60 < 65", "TIU 75 < 80"]


def test_skd_2019_thresholds_differ() -> None:
    scores = {"TWK": 65, "TIU": 80, "TKP": 130}
    assert grade(scores, "skd-2019").passed
    assert grade(scores, "skd-2024").reasons == ["TKP 130 < 166"]
    assert grade({"TWK": 70, "TIU": 80, "TKP": 150}, "skd-2018").reasons == ["TWK 70 < 75"]


@pytest.mark.parametrize(
    ("path", "tiu", "total_other", "passed", "reasons"),
    [
        ("cum laude", 85, 226, True, []),  # 85 + 226 = 311
        ("cum_laude", 85, 225, False, ["total 310 < 311"]),
        ("diaspora", 84, 240, False, ["TIU 84 < 85"]),
        ("disability", 60, 226, True, []),  # 286
        ("Disabilitas", 59, 300, False, ["TIU 59 < 60"]),
        ("papua", 60, 225, False, ["total 285 < 286"]),
        ("doctor", 80, 231, True, []),
        ("ship-crew", 70, 216, True, []),
    ],
)
def test_special_entry_paths_use_tiu_and_total(path, tiu, total_other, passed, reasons) -> None:
    # TWK and TKP below the general minimums must not matter on a special path
    twk = 30
    out = grade({"TWK": twk, "TIU": tiu, "TKP": total_other - twk}, "skd-2024", path)
    assert out.passed is passed
    assert out.reasons == reasons


def test_special_path_not_in_2019_is_a_clear_error() -> None:
    with pytest.raises(RulesError, match="entry path 'cum_laude' has no passing grades in skd-2019"):
        grade({"TWK": 100, "TIU": 100, "TKP": 150}, "skd-2019", "cum_laude")


def test_explicit_thresholds_and_total_min() -> None:
    rules = {"subtests": {"A": {"min": 10, "max": 50}, "B": 5}, "total_min": 30}
    assert grade({"A": 10, "B": 20}, rules).passed
    out = grade({"A": 9.5, "B": 20}, rules)
    assert out.reasons == ["A 9.5 < 10", "total 29.5 < 30"]
    assert resolve_rules(rules).maxima == {"A": 50.0, "B": None}


def test_preset_override_keeps_other_thresholds() -> None:
    rules = {"preset": "skd-2024", "subtests": {"TKP": {"min": 170}}, "total_min": 320}
    r = resolve_rules(rules)
    assert r.paths["general"].minimums == {"TWK": 65, "TIU": 80, "TKP": 170}
    assert r.maxima["TKP"] == 225
    assert grade({"TWK": 65, "TIU": 80, "TKP": 168}, rules).reasons == ["TKP 168 < 170", "total 313 < 320"]


def test_empty_rules_mean_the_default_preset() -> None:
    assert resolve_rules({}) is preset("skd-2024")


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("skd-1999", "unknown grading preset 'skd-1999'"),
        ({"preset": "skd-2024", "colour": 1}, "unknown grading key"),
        ({"subtests": {"A": {"min": "ten"}}}, "subtests.A.min must be a number"),
        ({"subtests": {"A": {"min": -1}}}, "must be a finite number ≥ 0"),
        ({"subtests": {"A": 1}, "tie_break": ["B"]}, "tie_break key 'B' is not a subtest"),
        ({"subtests": {"A": 1}, "paths": {"x": {"min": {"B": 1}}}}, "unknown subtest 'B'"),
        ({"total_min": 10}, "name no subtests"),
    ],
)
def test_bad_rules_are_rejected_with_the_reason(rules, message) -> None:
    with pytest.raises(RulesError, match=message):
        grade({"A": 1}, rules)


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"TWK": 65, "TIU": 80}, r"no score for subtest\(s\) TKP"),
        ({"TWK": 65, "TIU": 80, "TKP": 170, "XYZ": 1}, "XYZ not in skd-2024"),
        ({"TWK": "65", "TIU": 80, "TKP": 170}, "score for TWK must be a number"),
        ({"TWK": float("nan"), "TIU": 80, "TKP": 170}, "must be finite"),
    ],
)
def test_bad_scores_are_rejected(scores, message) -> None:
    with pytest.raises(RulesError, match=message):
        grade(scores)


def test_entry_path_normalisation() -> None:
    assert normalise_path(None) == "general"
    assert normalise_path("  ") == "general"
    assert normalise_path("Cum-Laude") == "cum_laude"
    assert normalise_path("Special Region") == "papua"


def test_vectorised_matches_one_by_one() -> None:
    rng = np.random.default_rng(7)
    rules = preset("skd-2024")
    scores = np.column_stack(
        [rng.integers(0, 31, 500) * 5, rng.integers(0, 36, 500) * 5, rng.integers(45, 226, 500)]
    ).astype(float)
    paths = [["general", "cum_laude", "disability", "doctor"][i % 4] for i in range(500)]
    idx, names = path_codes(paths, rules)
    out = grade_matrix(scores, rules, idx, names)
    for i in range(500):
        one = grade(dict(zip(rules.subtests, scores[i], strict=True)), rules, paths[i])
        assert out.passed[i] == one.passed
        assert out.total[i] == one.total
        assert reasons_for(int(out.short[i]), scores[i], rules, paths[i]) == one.reasons
    assert 0 < out.passed.sum() < 500


def test_every_preset_round_trips_as_explicit_dict() -> None:
    for rules in PRESETS.values():
        again = resolve_rules({k: v for k, v in rules.as_dict().items() if k != "name"} | {"name": rules.name})
        assert again.paths == rules.paths and again.maxima == rules.maxima and again.tie_break == rules.tie_break


def test_rules_refusals_speak_the_installation_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grading rules' refusals in Indonesian (the default) too, with the values named."""
    monkeypatch.setenv("EXAM_LOCALE", "id")
    for rules, message in (("skd-1999", "preset penilaian 'skd-1999' tidak dikenal"),
                           ({"subtests": {"A": {"min": -1}}}, "subtests.A.min harus berupa angka terhingga ≥ 0"),
                           ({"subtests": {"A": 1}, "tie_break": ["B"]}, r"kunci tie_break 'B' bukan subtes \(A\)"),
                           ({"total_min": 10}, "aturan penilaian tidak menyebut subtes")):
        with pytest.raises(RulesError, match=message):
            resolve_rules(rules)
    with pytest.raises(RulesError, match="jalur masuk 'cum_laude' tidak memiliki nilai ambang batas dalam skd-2019"):
        preset("skd-2019").path("cum_laude")
