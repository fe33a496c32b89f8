"""novalite-scheduler: filters and weighers choose hosts for builds."""
