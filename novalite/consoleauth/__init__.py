"""novalite-consoleauth: console token service."""
