"""What a script may reach beyond its own sandbox, each capability behind its own guard."""
