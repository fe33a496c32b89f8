"""novalite.api."""
