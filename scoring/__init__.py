"""Scoring, passing grades, rankings, integration, signed exports and item analysis (numpy, no Flask)."""
