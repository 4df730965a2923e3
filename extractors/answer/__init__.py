"""Reading answers: parsing and matching items, merging chunks, and the schemas answers follow."""
