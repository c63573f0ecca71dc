"""The import on Apache Spark, for sales histories beyond one machine (docs/spark.md).

Nothing here is imported by the app: pyspark is needed only to import with
``--engine spark`` (``requirements-spark.txt``).
"""

from __future__ import annotations

from typing import Any


def import_with_spark(*args: Any, **kwargs: Any) -> Any:
    """See :func:`kam_analysis.spark.importer.import_with_spark` (imported on first use)."""
    from kam_analysis.spark.importer import import_with_spark as run

    return run(*args, **kwargs)


__all__ = ["import_with_spark"]
