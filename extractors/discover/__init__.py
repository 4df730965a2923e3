"""Finding inputs: local and fsspec walks with filters, and the formats files are in."""
