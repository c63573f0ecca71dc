"""The import on Spark: from raw transactions to the aggregate tables on a Spark
session, then the (much smaller) result into the DuckDB file as a dataset like
any other.

The SQL is the DuckDB import's, written for Spark by :mod:`.transpile`: the
reading statement (:func:`kam_analysis.db.import_select.import_statement`: the
same cleaning, checks and reject reasons), then every statement of
:func:`kam_analysis.db.aggregates.aggregate_statements` in order, each against
temporary views of the tables before it. The results are collected through
Arrow and stored by :func:`kam_analysis.db.landing.land_dataset` in one
transaction (the same atomic swap as a DuckDB import).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from kam_analysis.db import Database
from kam_analysis.db.aggregates import aggregate_params, aggregate_statements
from kam_analysis.db.import_select import import_statement
from kam_analysis.db.landing import (
    COMPACT_TRANSACTIONS_SQL,
    draw_dataset_id,
    land_dataset,
    table_columns,
)
from kam_analysis.i18n import t
from kam_analysis.importing.errors import ImportFailed
from kam_analysis.importing.importer import MAX_REJECTS_RETURNED, _plan
from kam_analysis.importing.options import DEFAULT_OPTIONS, ImportOptions
from kam_analysis.importing.patterns import IMPORT_PATTERNS
from kam_analysis.importing.results import ImportCounts, ImportResult, nothing_imported
from kam_analysis.spark.reader import SparkSource, read_source
from kam_analysis.spark.session import configure, first_line, open_session
from kam_analysis.spark.transpile import spark_statement

__all__ = ["import_with_spark"]

_STATUSES = ("reject", "total", "blank", "header")
# Bits of monotonically_increasing_id() that number the rows within a partition.
_ROW_BITS = 33


def import_with_spark(db: Database, location: str, dataset: str,
                      options: ImportOptions = DEFAULT_OPTIONS, *, spark: Any = None,
                      master: str | None = None, remote: str | None = None) -> ImportResult:
    """Import ``location`` through Spark as dataset ``dataset`` (replacing one of that name).

    Parameters
    ----------
    db : Database
        Target DuckDB database: receives the aggregates, the rejects and
        compacted transactions (:data:`kam_analysis.db.landing.COMPACT_TRANSACTIONS_SQL`).
    location : str
        Parquet or CSV path, folder, glob or URI, or ``table:db.name``.
    dataset : str
        Dataset name.
    options : ImportOptions
        The column mapping (``mapping``), date order, delimiter, encoding, currency.
    spark : SparkSession, optional
        A session to use (left open); else one is opened from ``master`` (default
        ``local[*]``) or ``remote`` (Spark Connect) and stopped afterwards.

    Returns
    -------
    ImportResult
        The same counters and summary as :func:`kam_analysis.importing.import_file`.

    Raises
    ------
    ImportFailed
        One line: Spark or Java missing, cluster unreachable, source unreadable,
        a column not found, no row imported. Nothing is written then.
    """
    own = spark is None
    if own:
        spark = open_session(master, remote)
    else:
        configure(spark)
    try:
        return _import(db, spark, location, dataset, options)
    except ImportFailed:
        raise
    except Exception as exc:
        raise ImportFailed(t("{file}: the Spark import failed ({error}).",
                             file=location, error=first_line(exc))) from None
    finally:
        if own:
            spark.stop()


def _import(db: Database, spark: Any, location: str, dataset: str,
            options: ImportOptions) -> ImportResult:
    name = location.rstrip("/").rsplit("/", 1)[-1] or location
    read = read_source(spark, location, options, name)
    plan = _plan(read.source, options, name, Path(name))
    new_id = draw_dataset_id(db)
    sql, params = import_statement(plan.src, plan.columns, plan.messages, IMPORT_PATTERNS)
    # A rejected row's raw text joins its cells with the file's delimiter.
    params = {**params, "new_id": new_id, "delim_raw": read.source.delimiter or ";"}
    parsed = _run(spark, db, sql, params, {"kam_import_table": read.frame})
    parsed = parsed.persist()
    try:
        counts, rejects = _counts(spark, parsed, new_id, read)
        if counts.rows_imported == 0:
            raise ImportFailed(nothing_imported(name, counts, rejects))
        tables = _aggregates(spark, db, parsed.where(parsed.dataset_id == new_id), new_id)
    finally:
        parsed.unpersist()
    warnings = list(plan.preview.warnings)
    if counts.blank_rows:
        warnings.append(t("Blank rows skipped: {n}.", n=counts.blank_rows))
    if counts.header_rows:
        warnings.append(t("Repeated header rows skipped: {n}.", n=counts.header_rows))
    source = read.source
    summary = counts.as_summary(
        warnings, file=name, format=source.format, encoding=source.encoding,
        delimiter=source.delimiter, sheet=None, header_line=source.header_line,
        mapping=plan.preview.mapping, engine="spark")
    info = land_dataset(db, new_id, dataset, tables, rejects, source=name, summary=summary,
                        currency=options.currency)
    return ImportResult(**dataclasses.asdict(counts), dataset=info,
                        rejects=rejects.head(MAX_REJECTS_RETURNED).reset_index(drop=True),
                        warnings=tuple(warnings), preview=plan.preview)


def _run(spark: Any, db: Database, sql: str, params: dict[str, Any],
         views: dict[str, Any]) -> Any:
    """Run one DuckDB statement on Spark over ``views`` (name -> DataFrame); return
    its rows with the target table's column names (an insert's) or the query's."""
    for view, frame in views.items():
        frame.createOrReplaceTempView(view)
    schema = {view: dict(frame.dtypes) for view, frame in views.items()}
    statement = spark_statement(sql, params, schema)
    frame = spark.sql(statement.sql)
    if statement.columns:
        frame = frame.toDF(*statement.columns)
    elif statement.table and not statement.by_name:
        frame = frame.toDF(*table_columns(db, statement.table)[:len(frame.columns)])
    return frame


def _counts(spark: Any, parsed: Any, new_id: int, read: SparkSource
            ) -> tuple[ImportCounts, pd.DataFrame]:
    """The counters (as the DuckDB import's) and every rejected row by record line."""
    from pyspark.sql import functions as F

    status = F.when(F.col("dataset_id") == new_id, F.lit("ok")).otherwise(F.col("category"))
    totals = {row[0]: (int(row[1]), float(row[2] or 0.0)) for row in parsed.groupBy(
        status.alias("status")).agg(F.count(F.lit(1)), F.sum("revenue")).collect()}
    staged = {s: totals.get(s, (0, 0.0)) for s in _STATUSES}
    counts = ImportCounts.from_staged(totals.get("ok", (0, 0.0)), staged, 0)
    if not staged["reject"][0]:
        return counts, pd.DataFrame({"source_line": [], "reason": [], "raw": []})
    # Record numbers: rows of the partitions read before, plus the place within its own.
    sizes = dict(parsed.groupBy(F.shiftright("source_line", _ROW_BITS).alias("p"))
                 .count().collect())
    offsets, seen = {}, 0
    for part in sorted(sizes):
        offsets[part], seen = seen, seen + sizes[part]
    rows = (parsed.where((F.col("dataset_id") == -new_id) & (F.col("category") == "reject"))
            .select("source_line", F.col("document_id").alias("reason"),
                    F.col("customer_name").alias("raw")).toPandas())
    mask = (1 << _ROW_BITS) - 1
    rows["source_line"] = [offsets[int(v) >> _ROW_BITS] + (int(v) & mask) + 1 + read.skip
                           for v in rows["source_line"]]
    rows = rows.sort_values("source_line", kind="stable").reset_index(drop=True)
    return counts, rows.astype({"source_line": "int64"})


def _aggregates(spark: Any, db: Database, transactions: Any, new_id: int
                ) -> list[tuple[str, pa.Table]]:
    """Every aggregate statement in order, each over the tables before it; then the
    compacted transactions. Returns (table, rows) to land."""
    views = {"transactions": transactions}
    params = aggregate_params(new_id)
    frames: list[tuple[str, Any, bool]] = []
    for table, sql, scratch in [*aggregate_statements(),
                                ("transactions", COMPACT_TRANSACTIONS_SQL, False)]:
        frame = _run(spark, db, sql, params, dict(views)).persist()
        frames.append((table, frame, scratch))
        if table != "transactions":
            views[table] = frame
    try:
        return [(table, _arrow(frame)) for table, frame, scratch in frames if not scratch]
    finally:
        for _, frame, _scratch in frames:
            frame.unpersist()


#: Attempts to collect one result: on a busy driver Spark's socket for the transfer
#: can time out (15 s to connect); the frame is persisted, so a retry only re-sends it.
COLLECT_ATTEMPTS = 3


def _arrow(frame: Any) -> pa.Table:
    """A DataFrame's rows as an Arrow table (Spark 4's toArrow, else through pandas)."""
    for attempt in range(COLLECT_ATTEMPTS):
        try:
            if hasattr(frame, "toArrow"):
                return frame.toArrow()
            return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)
        except Exception:
            if attempt + 1 == COLLECT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")
