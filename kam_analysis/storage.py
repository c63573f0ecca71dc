"""Temporary shim: the database moved to the package :mod:`kam_analysis.db`.

Every name other code used from this module is re-exported here while the
branches of the restructuring are apart; the shim is deleted after the merge.
"""

# ruff: noqa: F401

from kam_analysis.db.aggregates import build_aggregates as _build_aggregates
from kam_analysis.db.connection import (
    DEFAULT_DB_PATH,
    Database,
    default_db_path,
    open_database,
    schema_version,
)
from kam_analysis.db.datasets import (
    _DATASET_TABLES,
    DatasetInfo,
    _delete_dataset_rows,
    dataset_in,
    delete_dataset,
    get_dataset,
    import_rejects,
    list_datasets,
    replace_dataset,
    validate_dataset_name,
)
from kam_analysis.db.datasets import swap_in_dataset as _swap_in_dataset
from kam_analysis.db.errors import DatabaseLockedError, DatasetNotFoundError, StorageError
from kam_analysis.db.notes import (
    account_tags,
    account_tags_in,
    dossier_events,
    dossier_row,
    insert_dossier_event,
    replace_account_tags,
    upsert_dossier,
)
from kam_analysis.db.queries import (
    analysis_customer_stats,
    analysis_period_values,
    analysis_revenue_margin,
    analysis_two_windows,
    customer_period_values,
    customer_product_values,
    distinct_filter_values,
    has_analysis_aggregates,
)
from kam_analysis.db.schema import SCHEMA_VERSION
from kam_analysis.db.schema import migrate as _migrate
from kam_analysis.db.synthetic import create_synthetic_dataset
