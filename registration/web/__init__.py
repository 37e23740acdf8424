"""The portal's faces: the applicant's pages (portal.py) and the verifiers' (verification.py)."""
