"""Scoring's persistence: everything in ``scoring`` that reads or writes the database lives here."""
