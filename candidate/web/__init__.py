"""The candidate's HTTP faces: exam page, login API and media; the public receipt check; the test clock."""
