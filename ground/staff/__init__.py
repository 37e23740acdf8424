"""Staff identity for every staff area: accounts and roles (``accounts``), sign-in and ``staff_required`` (``auth``)."""
