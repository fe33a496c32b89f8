"""novalite.virt."""
