"""Live (Socket.IO) faces of the candidate side."""
