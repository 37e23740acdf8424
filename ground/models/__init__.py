"""All tables. Each module holds one concern's tables; importing this package registers them all."""

from ground.db import Base
from ground.models.analysis import AnalysisReport, ItemStatistic  # noqa: F401  (issue 5, issue 14)
from ground.models.assessment import (  # noqa: F401  (issue 18)
    AssessmentInvitation,
    AssessmentProgramme,
    AssessmentSeat,
    AssessmentSitting,
    StaffMember,
)
from ground.models.audit import AuditChain, AuditEvent
from ground.models.bank import Item, ItemVersion, Option
from ground.models.bank_images import BankImage  # noqa: F401  (issue 3)
from ground.models.exam import Candidate, Exam, ExamSession, Room
from ground.models.liveness import ConnectionHolder, ServerProcess
from ground.models.objections import ExamObjection, ObjectionWindow  # noqa: F401  (issue 16)
from ground.models.paper import Answer, Paper, Result
from ground.models.registration import (  # noqa: F401  (issue 17)
    ApplicantAccount,
    Application,
    ApplicationDocument,
    Formation,
    Objection,
    PeopleKey,
    Person,
    Recruitment,
    Requirement,
    RequirementCheck,
    SelectionAnnouncement,
    StoredFile,
)
from ground.models.scoring import (  # noqa: F401  (issue 4)
    Annulment,
    FinalResult,
    OnboardingRecord,
    OrientationCohort,
    RescoreLog,
    SkbScore,
)
from ground.models.staff import (  # noqa: F401  (issues 6, 11, 15)
    RoomAssignment,
    StaffResetLink,
    StaffSession,
    StaffUser,
)

__all__ = [
    "Answer",
    "AuditChain",
    "AuditEvent",
    "Base",
    "Candidate",
    "ConnectionHolder",
    "Exam",
    "ExamSession",
    "Item",
    "ItemVersion",
    "Option",
    "Paper",
    "Result",
    "Room",
    "ServerProcess",
]
