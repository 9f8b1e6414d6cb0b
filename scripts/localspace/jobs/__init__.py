"""Jobs room: job definitions, runs and their life cycle (QUEUED/PENDING -> RUNNING ->
TERMINATING -> TERMINATED), on /api/2.0 (legacy clients), /api/2.1 and /api/2.2."""
