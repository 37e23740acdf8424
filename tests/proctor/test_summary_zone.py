"""The room summary (berita acara) is an official document: its times are in the site's zone, labelled."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ground import audit, clock
from ground.models import Room
from proctor import summary
from tests.documents import pdf_words
from tests.scoring.scoring_factory import make_exam


def test_generated_and_incident_times_in_the_sites_zone(session: Session) -> None:
    mini = make_exam(session)
    room = Room(exam_id=mini.exam.id, code="R1", name="Ruang 1")
    session.add(room)
    session.flush()
    clock.freeze(clock.parse_iso("2026-12-01T01:30:00Z"))
    try:
        audit.record(session, "proctor.pause", actor="staff:pengawas", exam_id=mini.exam.id, room_id=room.id,
                     reason="listrik padam")
        session.flush()
        s = summary.build(session, room, "WIT")
    finally:
        clock.unfreeze()
    assert s.generated_at == "2026-12-01 10:30:00 WIT"
    assert [ev["at"] for ev in s.incidents] == ["2026-12-01 10:30:00 WIT"]
    assert "10:30:00 WIT" in summary.to_csv(s) and "Z" not in summary.to_csv(s).split("\n")[0]
    words = pdf_words(summary.to_pdf(s))
    assert "2026-12-01 10:30:00 WIT" in words and "UTC" not in words
