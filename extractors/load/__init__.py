"""Opening inputs: identify (hash, format), read their layout, render pages on worker processes."""
