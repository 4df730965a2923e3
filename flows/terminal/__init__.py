"""What the terminal shows: progress, tables, and printable one-line messages."""
