"""Batch APIs: the request lines and their page map, input files within a provider's limits,
the batches recorded in DIR, and the calls that upload, create, poll and download them."""
