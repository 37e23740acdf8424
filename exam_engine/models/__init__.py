"""All tables. Each module holds one concern's tables; importing this package registers them all."""

from exam_engine.db import Base
from exam_engine.models.analysis import ItemStatistic  # noqa: F401  (issue 5)
from exam_engine.models.audit import AuditEvent
from exam_engine.models.bank import Item, ItemVersion, Option
from exam_engine.models.bank_images import BankImage  # noqa: F401  (issue 3)
from exam_engine.models.exam import Candidate, Exam, Room
from exam_engine.models.paper import Answer, Paper, Result
from exam_engine.models.scoring import (  # noqa: F401  (issue 4)
    Annulment,
    FinalResult,
    OnboardingRecord,
    OrientationCohort,
    RescoreLog,
    SkbScore,
)
from exam_engine.models.staff import RoomAssignment, StaffUser  # noqa: F401  (issue 6)

__all__ = [
    "Answer",
    "AuditEvent",
    "Base",
    "Candidate",
    "Exam",
    "Item",
    "ItemVersion",
    "Option",
    "Paper",
    "Result",
    "Room",
]
