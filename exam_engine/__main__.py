"""``python -m exam_engine`` is the ``exam-engine`` command."""

from exam_engine.entry import main

main()
