"""The database package: the DuckDB file, its schema, datasets and every query.

SQL lives only in this package; every value is a bound parameter and every
identifier a constant. The names below are the package's public face; the
analysis queries, notes and the synthetic generator are imported from their
modules (:mod:`.queries`, :mod:`.notes`, :mod:`.synthetic`).
"""

from kam_analysis.db.connection import Database, default_db_path, open_database, schema_version
from kam_analysis.db.datasets import (
    DatasetInfo,
    delete_dataset,
    get_dataset,
    import_rejects,
    list_datasets,
    replace_dataset,
    validate_dataset_name,
)
from kam_analysis.db.errors import DatabaseLockedError, DatasetNotFoundError, StorageError
from kam_analysis.db.schema import SCHEMA_VERSION

__all__ = (
    "SCHEMA_VERSION", "Database", "DatabaseLockedError", "DatasetInfo", "DatasetNotFoundError",
    "StorageError", "default_db_path", "delete_dataset", "get_dataset", "import_rejects",
    "list_datasets", "open_database", "replace_dataset", "schema_version",
    "validate_dataset_name",
)
