"""One document end to end: the orchestrator, its row builders, and the run's shared resources."""
