"""Rooms, staff and the live proctor dashboard (the /proctor Socket.IO namespace and its pages)."""
