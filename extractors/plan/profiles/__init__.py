"""Token profiles: how each model family resizes an image and what it costs, one module each."""
