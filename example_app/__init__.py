"""A small host admin that shows flask-jsscripts at work (``./dev example`` serves it)."""
