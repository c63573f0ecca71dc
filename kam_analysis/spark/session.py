"""A Spark session for the import: local (``--spark-master local[*]``) or a cluster
through Spark Connect (``--spark-remote sc://host:15002``), with one clear
error when Spark, Java or the cluster is missing. pyspark is imported here,
lazily: nothing else of the app needs it."""

from __future__ import annotations

import os
import re
import shutil
import socket
from typing import Any

from kam_analysis.i18n import t
from kam_analysis.importing.errors import ImportFailed

#: Settings of every session the import opens (also set on a session handed in).
SESSION_SETTINGS: dict[str, str] = {
    # Dates and times read as written (no conversion through a local time zone).
    "spark.sql.session.timeZone": "UTC",
    # Unreadable values become NULL (and then rejects), as in DuckDB's TRY_CAST.
    "spark.sql.ansi.enabled": "false",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


#: Settings of a local session: no web UI or console progress bar, and few shuffle
#: partitions (adaptive execution splits large ones).
LOCAL_SETTINGS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
}


class SparkUnavailable(ImportFailed):
    """Spark cannot be used: pyspark or Java missing, or the cluster unreachable."""


def require_pyspark() -> Any:
    """Import pyspark or raise :class:`SparkUnavailable` saying how to install it."""
    try:
        import pyspark
        from pyspark.sql import SparkSession  # noqa: F401
    except ImportError:
        raise SparkUnavailable(t(
            "Spark is not installed: run `pip install -r requirements-spark.txt` "
            "(or import with --engine duckdb).")) from None
    return pyspark


def java_found() -> bool:
    """Whether a local Spark can start a JVM (``JAVA_HOME`` or ``java`` on PATH)."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


def open_session(master: str | None = None, remote: str | None = None) -> Any:
    """Start (or connect to) a Spark session.

    Parameters
    ----------
    master : str, optional
        Spark master for a session in this process, default ``local[*]``.
    remote : str, optional
        Spark Connect address (``sc://host:15002``); then no local JVM is started.

    Raises
    ------
    SparkUnavailable
        pyspark is missing, Java is missing (local session), or the cluster
        cannot be reached; the message is one line.
    """
    if master and remote:
        raise SparkUnavailable(t("Use either --spark-master or --spark-remote, not both."))
    require_pyspark()
    from pyspark.sql import SparkSession

    if remote:
        _check_reachable(remote)
        try:
            spark = SparkSession.builder.remote(remote).getOrCreate()
            spark.range(1).collect()  # the first call that reaches the server
        except Exception as exc:
            raise SparkUnavailable(t(
                "Cannot reach the Spark cluster at {address}: {error}",
                address=remote, error=first_line(exc))) from None
    else:
        if not java_found():
            raise SparkUnavailable(t(
                "Java was not found: a local Spark needs Java 17 (e.g. apt-get install "
                "openjdk-17-jre-headless) or JAVA_HOME set; or use --spark-remote."))
        try:
            builder = SparkSession.builder.master(master or "local[*]").appName("kam-import")
            for key, value in {**SESSION_SETTINGS, **LOCAL_SETTINGS}.items():
                builder = builder.config(key, value)
            spark = builder.getOrCreate()
        except Exception as exc:
            raise SparkUnavailable(t("Spark could not start ({error}).",
                                     error=first_line(exc))) from None
    configure(spark)
    return spark


def _check_reachable(remote: str) -> None:
    """Fail at once, in one line, when nothing listens at the Spark Connect address
    (the client would otherwise retry for minutes)."""
    match = re.match(r"sc://(\[[^\]]+\]|[^:/;]+)(?::(\d+))?", remote)
    if not match:
        raise SparkUnavailable(t("{address} is not a Spark Connect address "
                                 "(sc://host:15002).", address=remote))
    host, port = match.group(1).strip("[]"), int(match.group(2) or 15002)
    try:
        socket.create_connection((host, port), timeout=10).close()
    except OSError as exc:
        raise SparkUnavailable(t("Cannot reach the Spark cluster at {address}: {error}",
                                 address=remote, error=first_line(exc))) from None


def configure(spark: Any) -> None:
    """Apply :data:`SESSION_SETTINGS` to a session (also one the caller opened)."""
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an error message (Spark's run to many lines); for
    an error of the JVM (py4j: "An error occurred while calling ...") the Java one."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if lines and lines[0].startswith("An error occurred while calling"):
        for line in lines[1:]:
            if line.lstrip(": "):
                return line.lstrip(": ")
    return lines[0] if lines else type(exc).__name__
