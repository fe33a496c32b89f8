"""novalite-compute: instance lifecycle on one host."""
