"""exam-engine: computer-based selection exams. The Flask app lives in :mod:`exam_engine.app`.

Kept import-light on purpose: the plain libraries (``question_bank``, ``scoring``) import the base
modules here (clock, crypto, db, models) without pulling in Flask.
"""

__version__ = "0.1.0"
