"""exam-engine, the top floor: the app factory (:mod:`exam_engine.app`), the ``exam-engine`` command and the demo.

Only this package knows every other one (``exam_engine.packages``); nothing below imports it.
"""

__version__ = "0.1.0"
