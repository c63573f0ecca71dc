"""The schema of the DuckDB file: its version, the migrations, and applying them.

:func:`kam_analysis.db.connection.schema_version` reads the stored version of a
:class:`~kam_analysis.db.connection.Database`.
"""

from __future__ import annotations

import duckdb

from kam_analysis.db.errors import StorageError
from kam_analysis.db.monthly_sql import CREATE_MONTHLY_SQL, MIGRATE_MONTHLY_SQL
from kam_analysis.vocabulary import MEASURES, PERIODS

SCHEMA_VERSION = 7

# Per period unit, the customer_facts columns with history length, active
# periods, and mean / population sd of each measure per period (the measures
# and units of kam_analysis.vocabulary when schema version 2 was released).
_FACT_PERIOD_COLUMNS_DDL = ",\n            ".join(
    f"periods_{u} BIGINT, active_{u} BIGINT, "
    + ", ".join(f"{m}_mean_{u} DOUBLE, {m}_sd_{u} DOUBLE" for m in MEASURES)
    for u in PERIODS
)

# Each migration is the list of statements that takes the schema from the
# previous version to this one. Never edit a released migration: append one.
_MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR
        )""",
        "CREATE SEQUENCE IF NOT EXISTS dataset_id_seq START 1",
        # One row per dataset that fully imported; name is unique (enforced in
        # code under the write lock so a replacement can swap in one transaction).
        """CREATE TABLE IF NOT EXISTS datasets (
            dataset_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            source VARCHAR,
            imported_at TIMESTAMP NOT NULL,
            row_count BIGINT NOT NULL,
            customer_count BIGINT NOT NULL,
            first_date DATE,
            last_date DATE,
            has_margin BOOLEAN NOT NULL,
            has_quantity BOOLEAN NOT NULL,
            currency VARCHAR,
            summary VARCHAR
        )""",
        # Canonical transactions: one row per source row that imported.
        """CREATE TABLE IF NOT EXISTS transactions (
            dataset_id BIGINT NOT NULL,
            source_line BIGINT,
            customer_id VARCHAR NOT NULL,
            customer_name VARCHAR,
            order_date DATE NOT NULL,
            revenue DOUBLE NOT NULL,
            margin DOUBLE,
            quantity DOUBLE,
            product VARCHAR,
            category VARCHAR,
            region VARCHAR,
            manager VARCHAR,
            document_id VARCHAR
        )""",
        # Pre-aggregated customer-by-day table built at import: every common view
        # is computed from this table, never from the raw rows.
        """CREATE TABLE IF NOT EXISTS sales_daily (
            dataset_id BIGINT NOT NULL,
            customer_id VARCHAR NOT NULL,
            order_date DATE NOT NULL,
            region VARCHAR,
            manager VARCHAR,
            category VARCHAR,
            revenue DOUBLE NOT NULL,
            margin DOUBLE,
            quantity DOUBLE,
            row_count BIGINT NOT NULL
        )""",
        # Per-customer facts over the whole dataset (name, first/last purchase).
        """CREATE TABLE IF NOT EXISTS customers (
            dataset_id BIGINT NOT NULL,
            customer_id VARCHAR NOT NULL,
            customer_name VARCHAR,
            first_purchase DATE NOT NULL,
            last_purchase DATE NOT NULL,
            row_count BIGINT NOT NULL
        )""",
        # Rows an import could not read, kept with the dataset for review.
        """CREATE TABLE IF NOT EXISTS import_rejects (
            dataset_id BIGINT NOT NULL,
            source_line BIGINT,
            reason VARCHAR NOT NULL,
            raw VARCHAR
        )""",
        # Hand-set account types, per customer id; independent of datasets so
        # they survive re-imports.
        """CREATE TABLE IF NOT EXISTS account_tags (
            customer_id VARCHAR NOT NULL,
            tag VARCHAR NOT NULL,
            PRIMARY KEY (customer_id, tag)
        )""",
        # Account dossier, per customer id; survives re-imports.
        """CREATE TABLE IF NOT EXISTS dossiers (
            customer_id VARCHAR PRIMARY KEY,
            general VARCHAR,
            decision_makers VARCHAR,
            competitors VARCHAR,
            next_review DATE,
            next_steps VARCHAR,
            updated_at TIMESTAMP,
            updated_by VARCHAR
        )""",
        # Relationship history entries of a dossier (deliveries, tenders, wins, losses...).
        """CREATE TABLE IF NOT EXISTS dossier_events (
            customer_id VARCHAR NOT NULL,
            event_date DATE NOT NULL,
            kind VARCHAR NOT NULL,
            note VARCHAR,
            created_at TIMESTAMP NOT NULL
        )""",
    ],
    # Version 2: per-customer facts of the default analysis window (the whole
    # dataset, no filters), built at import so the common view needs no
    # aggregation at all. Datasets imported before this version lack them; the
    # engine then computes from sales_daily.
    2: [
        f"""CREATE TABLE IF NOT EXISTS customer_facts (
            dataset_id BIGINT NOT NULL,
            customer_id VARCHAR NOT NULL,
            customer_name VARCHAR,
            region VARCHAR,
            manager VARCHAR,
            first_purchase DATE NOT NULL,
            last_purchase DATE NOT NULL,
            median_gap DOUBLE,
            revenue DOUBLE,
            margin DOUBLE,
            quantity DOUBLE,
            row_count BIGINT NOT NULL,
            id_order BIGINT NOT NULL,
            revenue_last_6m DOUBLE,
            revenue_prev_6m DOUBLE,
            margin_last_6m DOUBLE,
            margin_prev_6m DOUBLE,
            quantity_last_6m DOUBLE,
            quantity_prev_6m DOUBLE,
            {_FACT_PERIOD_COLUMNS_DDL}
        )""",
    ],
    # Version 3: sales_daily loses its category column, so its grain (customer x
    # day x region x manager) has far fewer rows and is built faster; a category
    # filter reads the transactions, as a product filter does. Rows of older
    # datasets stay at the finer grain: every query sums them.
    3: [
        "ALTER TABLE sales_daily DROP COLUMN IF EXISTS category",
    ],
    # Version 4: the dossier's next steps become rows (step, owner, due) stored as
    # JSON in ``steps``; the free text of earlier versions is carried over as one
    # step. The three P's of perspective accounts (need, ability to pay, authority)
    # get their own columns. The old ``next_steps`` column stays, unused.
    4: [
        "ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS steps VARCHAR",
        "ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS need VARCHAR",
        "ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS ability_to_pay VARCHAR",
        "ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS authority VARCHAR",
        """UPDATE dossiers SET steps = json_array(
               json_object('step', next_steps, 'owner', '', 'due', ''))::VARCHAR
           WHERE steps IS NULL AND coalesce(trim(next_steps), '') <> ''""",
    ],
    # Version 5: per customer, month, region and manager, the sums of each measure
    # and row counts and the first and last purchase date in the month
    # (``sales_monthly``, see kam_analysis.db.monthly_sql), so a window other than
    # the whole dataset is a scan of customers x months. Built here from
    # sales_daily for every dataset imported before.
    5: [CREATE_MONTHLY_SQL, MIGRATE_MONTHLY_SQL],
    # Version 6: no customer-by-day table. It was a second copy of the rows for
    # datasets with many customers (9.6 million rows for 10 million transactions
    # of 100,000 customers); the figures that need days (weeks, purchase gaps,
    # churn, the days of a month a window cuts) read the transactions, and the
    # aggregates are built from them. ``row_count`` is the number of source rows a
    # transaction stands for where it is a sum (datasets built on Spark keep their
    # transactions summed per customer, day, product and the like); NULL is one.
    6: [
        "ALTER TABLE transactions ADD COLUMN IF NOT EXISTS row_count BIGINT",
        "DROP TABLE IF EXISTS sales_daily",
    ],
    # Version 7: ``one_region_manager`` in customer_facts says the customer's rows
    # all carry one region and one manager (a missing one counting as a value); a
    # window's modes are then those of the facts, and only the other customers'
    # are counted (kam_analysis.db.customer_stats_sql). Filled here from the
    # monthly rows for every dataset imported before.
    7: [
        "ALTER TABLE customer_facts ADD COLUMN IF NOT EXISTS one_region_manager BOOLEAN",
        """UPDATE customer_facts SET one_region_manager = p.pairs = 1
           FROM (SELECT dataset_id, customer_id, count(*) AS pairs
                 FROM (SELECT DISTINCT dataset_id, customer_id, region, manager
                       FROM sales_monthly)
                 GROUP BY dataset_id, customer_id) p
           WHERE customer_facts.dataset_id = p.dataset_id
             AND customer_facts.customer_id = p.customer_id""",
    ],
}


def migrate(cur: duckdb.DuckDBPyConnection) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION` inside the caller's write transaction.

    Raises
    ------
    StorageError
        If the file was written by a newer version (a higher schema).
    """
    cur.execute(_MIGRATIONS[1][0])
    current = stored_version(cur)
    if current > SCHEMA_VERSION:
        raise StorageError(
            f"The database was written by a newer KAM Analysis (schema {current}); "
            f"this version reads schema {SCHEMA_VERSION}."
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        for statement in _MIGRATIONS[version]:
            cur.execute(statement)
    cur.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [str(SCHEMA_VERSION)],
    )


def stored_version(cur: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version stored in the database (0 if none), read with ``cur``."""
    row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0
