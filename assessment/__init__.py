"""Periodic competency assessments of serving staff (issue 18): programmes, staff by NIP, sittings on the engine's
exams, each person's history and reports per unit."""
