"""The stages: load and rasterise, budget and chunk, call the endpoint, parse, write."""
