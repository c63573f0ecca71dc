"""Reading an import source with Spark: a Parquet or CSV path, folder, glob or URI
(``s3a://``, ``hdfs://``: wherever the cluster can read), or ``table:db.name`` from
the Spark catalog. Every column comes back as text, named ``c0``..``cN`` after
``line`` (the row's place in Spark's reading order), as the DuckDB import reads
a Parquet file, plus a sample for the same column matching and value checks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from kam_analysis.i18n import t
from kam_analysis.importing.errors import ImportFailed
from kam_analysis.importing.headers import unique_headers
from kam_analysis.importing.options import ImportOptions
from kam_analysis.importing.sources import SAMPLE_ROWS, _sniff_csv, _Source
from kam_analysis.spark.session import first_line

#: Lines read from the start of a CSV source to find its delimiter and header.
SNIFF_LINES = 200


@dataclass
class SparkSource:
    """A source read by Spark.

    Attributes
    ----------
    frame : pyspark DataFrame
        ``line`` (bigint, increasing in reading order) then ``c0``..``cN`` (text).
    source : _Source
        Layout and sample rows for :func:`kam_analysis.importing.preview._preview`.
    skip : int
        Lines before the first record (the CSV header), added to record numbers.
    """

    frame: Any
    source: _Source
    skip: int


def source_format(location: str) -> str:
    """``"table"``, ``"csv"`` or ``"parquet"``: by the prefix ``table:``, the name's
    ending, or (a local folder) the files in it; anything else is Parquet."""
    if location.startswith("table:"):
        return "table"
    name = location.rstrip("/").lower()
    if name.endswith((".csv", ".txt", ".csv.gz", ".tsv")):
        return "csv"
    if os.path.isdir(location):
        names = [n.lower() for n in os.listdir(location)]
        if any(n.endswith((".csv", ".txt", ".csv.gz")) for n in names) and not any(
                n.endswith(".parquet") for n in names):
            return "csv"
    return "parquet"


def read_source(spark: Any, location: str, options: ImportOptions, name: str) -> SparkSource:
    """Open ``location`` with Spark (see :func:`source_format`).

    Raises
    ------
    ImportFailed
        If Spark cannot read it (the path does not exist, no such table, not
        Parquet or CSV), in one line.
    """
    fmt = source_format(location)
    try:
        if fmt == "table":
            frame, delimiter, header_line = spark.table(location[len("table:"):]), None, 1
            headers = list(frame.columns)
        elif fmt == "parquet":
            frame, delimiter, header_line = spark.read.parquet(location), None, 1
            headers = list(frame.columns)
        else:
            frame, delimiter, headers = _read_csv(spark, location, options, name)
            header_line = 1
    except ImportFailed:
        raise
    except Exception as exc:
        raise ImportFailed(t("{file}: Spark cannot read it ({error}).",
                             file=name, error=first_line(exc))) from None
    return _as_text(frame, fmt, delimiter, header_line, headers, name)


def _read_csv(spark: Any, location: str, options: ImportOptions, name: str
              ) -> tuple[Any, str, list[str]]:
    """Read a CSV source whose header is its first line; the delimiter as the DuckDB
    import finds it (among ``; , tab |``) unless ``options.delimiter`` says it."""
    encoding = options.encoding or "UTF-8"
    head = spark.read.option("encoding", encoding).text(location).limit(SNIFF_LINES).collect()
    text = "\n".join(r[0] for r in head).lstrip("\ufeff") + "\n"
    if not text.strip():
        raise ImportFailed(t("{file}: the file is empty.", file=name))
    delimiter, header_line, cells = _sniff_csv(text, options.delimiter, name)
    if header_line != 1:
        raise ImportFailed(t(
            "{file}: with Spark the header must be the first line (it is line {line}); "
            "remove the lines above it or import with --engine duckdb.",
            file=name, line=header_line))
    frame = (spark.read.option("header", "true").option("sep", delimiter)
             .option("quote", '"').option("escape", '"').option("encoding", encoding)
             .option("inferSchema", "false").option("mode", "PERMISSIVE").csv(location))
    return frame, delimiter, list(cells)


def _as_text(frame: Any, fmt: str, delimiter: str | None, header_line: int,
             headers: list[str], name: str) -> SparkSource:
    from pyspark.sql import functions as F

    width = len(frame.columns)
    frame = frame.toDF(*(f"c{i}" for i in range(width)))
    frame = frame.select(F.monotonically_increasing_id().alias("line"),
                         *(F.col(f"c{i}").cast("string").alias(f"c{i}") for i in range(width)))
    sample = [list(r)[1:] for r in frame.limit(SAMPLE_ROWS).collect()]
    layout = _Source(f"spark {fmt}", None, delimiter, (), None, header_line,
                     unique_headers([str(h) for h in headers[:width]]), sample)
    return SparkSource(frame, layout, header_line if fmt == "csv" else 0)
