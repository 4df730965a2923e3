"""Talking to the vision endpoint: prompt, client, request pool, rate windows, learned
limits and provider presets."""
