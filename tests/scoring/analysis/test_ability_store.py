"""Stored 2PL calibrations read back and finished papers scored into (theta, se), on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_data import DbExam, build_exam
from sqlalchemy import select

from ground import clock, db
from ground.models import Candidate, Paper
from ground.models.analysis import ItemStatistic
from ground.models.scoring import Annulment
from scoring.store.ability import exam_abilities, paper_ability, stored_parameters
from scoring.store.analysis import analyse_exam


def _papers(s, exam_id: int) -> dict[str, int]:  # participant no -> paper id (finished papers)
    rows = s.execute(select(Candidate.participant_no, Paper.id).join(Paper, Paper.candidate_id == Candidate.id)
                     .where(Paper.exam_id == exam_id, Paper.state == "finished"))
    return dict(rows.all())


def test_no_calibration_no_ability(db_url: str, db_exam: DbExam) -> None:
    with db.session_scope(db_url) as s:
        assert stored_parameters(s, db_exam.exam_id) is None
        pid = next(iter(_papers(s, db_exam.exam_id).values()))
        assert paper_ability(s, pid) is None
        assert exam_abilities(s, db_exam.exam_id) == {}
        assert paper_ability(s, 10**9) is None


def test_paper_ability_is_the_analysis_eap(db_url: str, db_exam: DbExam) -> None:
    data, analyses = analyse_exam(db_url, db_exam.code)
    tiu = analyses[0]
    with db.session_scope(db_url) as s:
        params = stored_parameters(s, db_exam.exam_id)
        assert params is not None and set(params.subtests) == {"TIU"}  # TKP (1-5 points) has no 2PL
        assert set(params.item_version_ids) == set(db_exam.tiu_versions)
        j = next(j for j, it in enumerate(tiu.rm.items) if it.item_version_id == db_exam.tiu_versions[2])
        assert params.of(db_exam.tiu_versions[2]) == pytest.approx((tiu.irt.a[j], tiu.irt.b[j]), abs=1e-6)
        some = stored_parameters(s, db_exam.exam_id, [db_exam.tiu_versions[1], db_exam.tkp_versions[0],
                                                      db_exam.tiu_versions[0]])
        assert some is not None and some.item_version_ids == (db_exam.tiu_versions[1], db_exam.tiu_versions[0])
        assert stored_parameters(s, db_exam.exam_id, db_exam.tkp_versions) is None
        papers = _papers(s, db_exam.exam_id)
        everyone = exam_abilities(s, db_exam.exam_id)
        assert set(everyone) == set(papers.values())
        # Right/wrong read from the answers here gives the same EAP as the analysis's own matrix.
        for i, no in enumerate(data.matrix.candidate_ids):
            ab = everyone[papers[no]]
            assert set(ab) == {"TIU"}
            t = ab["TIU"]
            assert t.theta == pytest.approx(tiu.irt.theta[i], abs=1e-4)
            assert t.se == pytest.approx(tiu.irt.theta_se[i], abs=1e-4)
            assert t.n_items == 8 and not t.linked and t.scale_exam_id == db_exam.exam_id
        pid = papers[data.matrix.candidate_ids[7]]
        alone = paper_ability(s, pid)
        assert alone is not None and alone["TIU"].theta == pytest.approx(everyone[pid]["TIU"].theta, abs=1e-12)
        assert exam_abilities(s, db_exam.exam_id, paper_ids=[pid]).keys() == {pid}
        unfinished = s.scalar(select(Paper.id).where(Paper.exam_id == db_exam.exam_id, Paper.state == "issued"))
        assert paper_ability(s, unfinished) is None
        # An annulled item is not evidence: the papers that held it score one item fewer.
        v = db_exam.tiu_versions[5]
        s.add(Annulment(exam_id=db_exam.exam_id, item_version_id=v, mode="drop", reason="typo", created_at=clock.now()))
        s.flush()
        held = {pid for pid, layout in s.execute(select(Paper.id, Paper.layout).where(Paper.exam_id == db_exam.exam_id))
                if any(q["v"] == v for q in layout["subtests"][0]["questions"])}
        after = exam_abilities(s, db_exam.exam_id)
        assert held and all(after[p]["TIU"].n_items == (7 if p in held else 8) for p in after)


def test_second_form_on_the_first_forms_scale(db_url: str, db_exam: DbExam) -> None:
    with db.session_scope(db_url) as s:
        second = build_exam(s, code="SKD-B", n=160, seed=9, bank=db_exam)
        third = build_exam(s, code="SKD-C", n=20, seed=11, bank=db_exam)  # never analysed
    analyse_exam(db_url, db_exam.code)
    analyse_exam(db_url, second.code)
    with db.session_scope(db_url) as s:
        own = exam_abilities(s, second.exam_id)
        linked = exam_abilities(s, second.exam_id, scale_exam_id=db_exam.exam_id)
        assert set(own) == set(linked) and len(own) == second.finished
        one = next(iter(linked.values()))["TIU"]
        assert one.linked and one.scale_exam_id == db_exam.exam_id
        # Both samples come from N(0, 1): the link is near the identity, yet not exactly it.
        assert 0.6 < one.link_A < 1.6 and abs(one.link_B) < 0.5 and (one.link_A, one.link_B) != (1.0, 0.0)
        th_own = np.array([own[p]["TIU"].theta for p in own])
        th_linked = np.array([linked[p]["TIU"].theta for p in own])
        assert np.corrcoef(th_own, th_linked)[0, 1] > 0.99 and not np.allclose(th_own, th_linked)
        # An exam with no calibration of its own is scored with the scale exam's parameters directly.
        pid = next(iter(_papers(s, third.exam_id).values()))
        assert paper_ability(s, pid) is None
        ab = paper_ability(s, pid, scale_exam_id=db_exam.exam_id)
        assert ab is not None and not ab["TIU"].linked and ab["TIU"].n_items == 8
        assert np.isfinite(ab["TIU"].theta) and 0 < ab["TIU"].se < 1
        # Too few anchors: no link, no (incomparable) ability.
        keep = set(db_exam.tiu_versions[:4])
        for row in s.scalars(select(ItemStatistic).where(ItemStatistic.exam_id == db_exam.exam_id)):
            if row.item_version_id not in keep:
                row.irt_a = row.irt_b = None
        s.flush()
        assert exam_abilities(s, second.exam_id, scale_exam_id=db_exam.exam_id) == {}
        # A subtest its own exam did not calibrate is scored with the scale exam's parameters (the 4 left).
        for row in s.scalars(select(ItemStatistic).where(ItemStatistic.exam_id == second.exam_id)):
            row.irt_a = None
        s.flush()
        fallback = exam_abilities(s, second.exam_id, scale_exam_id=db_exam.exam_id)
        assert fallback and all(not ab["TIU"].linked and 1 <= ab["TIU"].n_items <= 4 for ab in fallback.values())
        assert exam_abilities(s, second.exam_id) == {}
