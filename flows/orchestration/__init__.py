"""What runs a batch: the Prefect flow, its shards (here or on Dask), the Prefect server, the
run's bookkeeping, schedules and stops."""
