"""Item analysis of a handful of candidates says so: a warning in the report, the page and the command's output."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from exam_engine.cli import main
from scoring.analysis.report import SMALL_SAMPLE, small_sample_warning


def test_the_threshold() -> None:
    assert small_sample_warning(SMALL_SAMPLE) is None
    assert "2" in (small_sample_warning(2) or "")


def test_two_candidates_are_flagged_as_too_few(tmp_path: Path, english) -> None:
    src = tmp_path / "r.csv"
    src.write_text("id,q1,q2,q3\nc1,1,0,1\nc2,0,0,1\n", encoding="utf-8")
    runner = CliRunner(env={"EXAM_LOCALE": "en"})
    r = runner.invoke(main, ["--data-dir", str(tmp_path / "inst"), "analysis", "--responses", str(src), "--no-irt"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("! Only 2 candidates (fewer than 30)")
    r = runner.invoke(main, ["--data-dir", str(tmp_path / "inst"), "analysis", "--responses", str(src), "--no-irt",
                             "--format", "html"])
    assert 'role="alert" id="small-sample">Only 2 candidates' in r.output
    assert " WIB." in r.output and "+00:00" not in r.output.split("<h2>")[0]  # generated in the site's zone


def test_enough_candidates_no_warning(tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    src.write_text("id,q1,q2\n" + "".join(f"c{i},{i % 2},{(i // 2) % 2}\n" for i in range(40)), encoding="utf-8")
    r = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "inst"), "analysis", "--responses", str(src),
                                  "--no-irt", "--format", "json"])
    assert r.exit_code == 0 and '"warning": null' in r.output
