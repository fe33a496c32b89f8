"""novalite.network."""
