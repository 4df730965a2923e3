"""What a finished output directory says (statuses, errors, tokens, cost, latency), as text
or as one HTML page."""
