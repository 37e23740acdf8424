"""Scoring: pure parts (rules, grading, ranking, selection, integration, signing, exports, analysis statistics)
take and return plain data and numpy arrays; ``scoring.store`` holds what touches the database. No Flask."""
