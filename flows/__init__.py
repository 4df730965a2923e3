"""Prefect wiring and the command line of visionbatch: flows wire, extractors work."""
