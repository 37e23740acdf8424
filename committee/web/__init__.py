"""The committee's HTTP pages and JSON API (staff_required: committee and admin)."""
