"""Writing Parquet: part files, the resume ledger, compaction, and the output lock."""
