"""The database package: the DuckDB file, its schema, datasets and every query."""
