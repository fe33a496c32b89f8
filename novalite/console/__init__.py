"""novalite.console."""
