"""novalite-conductor: the only database client, and build orchestration."""
