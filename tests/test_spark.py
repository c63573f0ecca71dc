"""The Spark import (kam_analysis.spark) gives the same dataset as the DuckDB import:
every aggregate table, the counters, the rejects and the CLI's `classify --all` and
`concentration --json`; and it fails in one line when Spark cannot be used.

One local Spark session (local[2]) serves the whole module; `make test` installs
requirements-spark.txt, so these run on every `make test`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kam_analysis.cli import main
from kam_analysis.db import get_dataset, open_database
from kam_analysis.db.aggregates import aggregate_statements, stored_tables
from kam_analysis.spark import session as spark_session

pytest.importorskip("sqlglot")  # requirements-spark.txt, installed by `make test`
from kam_analysis.spark import transpile

pytestmark = pytest.mark.spark

_REGIONS = ("North", "South", "East")
_MANAGERS = ("Anna", "Jonas")


@pytest.fixture(scope="module")
def spark() -> Any:
    """One local Spark session for the module, with one shuffle partition (small data)."""
    pytest.importorskip("pyspark")
    session = spark_session.open_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    session.conf.set("spark.sql.shuffle.partitions", "1")
    yield session
    session.stop()


@pytest.fixture
def cli_spark(spark: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`import --engine spark` on the CLI uses the module's session (and leaves it open)."""
    import kam_analysis.spark.importer as importer

    monkeypatch.setattr(importer, "open_session", lambda master, remote: spark)
    monkeypatch.setattr(spark, "stop", lambda: None)
    return spark


def _mixed_csv(path: Path) -> dict[str, int]:
    """A `;` file with decimal commas, day-first dates, returns, rejected rows, a
    totals row, three regions and two managers; returns the expected counters."""
    lines = ["customer_id;customer_name;order_date;revenue;margin;region;manager"]
    for i in range(240):
        cust = f"C{i % 17:03d}"
        day, month = 1 + i % 28, 1 + (i // 28) % 12
        revenue = f"{(i * 37) % 900 + 100},{i % 100:02d}"
        if i % 23 == 0:
            revenue = "-" + revenue  # a return
        elif i % 31 == 0:
            revenue = f"1 {revenue}"  # thousands separator
        lines.append(f"{cust};Kunde {cust};{day}.{month}.2024;{revenue};"
                     f"{(i % 50) + 1},5;{_REGIONS[i % 3]};{_MANAGERS[(i // 7) % 2]}")
    lines += ["C001;x;31.02.2024;10,00;1;North;Anna",   # no such date
              ";no id;03.03.2024;5,00;1;North;Anna",    # no customer
              "C002;y;04.03.2024;abc;1;South;Jonas",    # not a number
              "ИТОГО;;;99999,00;;;"]                    # totals row
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"rows_read": 244, "rows_imported": 240, "rows_rejected": 3, "totals_dropped": 1}


def _tables(db_path: Path, name: str) -> dict[str, pd.DataFrame]:
    db = open_database(db_path)
    try:
        dataset_id = get_dataset(db, name).dataset_id
        out = {}
        with db.read() as cur:
            for table in [*stored_tables(), "import_rejects"]:
                frame = cur.execute(
                    f"SELECT * EXCLUDE (dataset_id) FROM {table} "
                    "WHERE dataset_id = ? ORDER BY ALL", [dataset_id]).df()
                out[table] = frame.reset_index(drop=True)
        return out
    finally:
        db.close()


def _cli_outputs(db_path: Path, name: str, tmp_path: Path,
                 capsys: pytest.CaptureFixture[str]) -> tuple[pd.DataFrame, dict[str, Any]]:
    out = tmp_path / f"{name}.csv"
    assert main(["classify", "--db", str(db_path), "--dataset", name, "--all",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["concentration", "--db", str(db_path), "--dataset", name, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    figures.pop("dataset", None)
    return pd.read_csv(out, dtype={"customer_id": str}, encoding="utf-8-sig"), figures


def _assert_same_figures(a: Any, b: Any, where: str = "") -> None:
    """Equal, floats to 1e-9 relative (sums of doubles added in another order)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            _assert_same_figures(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same_figures(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and not isinstance(b, bool):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12), where
    else:
        assert a == b, where


def _import_both(source: Path, db_path: Path, capsys: pytest.CaptureFixture[str],
                 extra: list[str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    summaries = []
    for name, engine in (("duck", "duckdb"), ("spark", "spark")):
        args = ["import", str(source), "--dataset", name, "--db", str(db_path),
                "--engine", engine, *(extra or [])]
        assert main(args) == 0, capsys.readouterr().err
        capsys.readouterr()
        db = open_database(db_path)
        summaries.append(get_dataset(db, name).summary)
        db.close()
    return summaries[0], summaries[1]


def _assert_same_datasets(db_path: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    duck, spark = _tables(db_path, "duck"), _tables(db_path, "spark")
    for table in duck:
        assert len(duck[table]) == len(spark[table]), table
        # Sums of doubles in another order may differ in the last bits only.
        pd.testing.assert_frame_equal(duck[table], spark[table], check_dtype=False,
                                      check_exact=False, rtol=1e-12, obj=table)
    duck_rows, duck_figures = _cli_outputs(db_path, "duck", tmp_path, capsys)
    spark_rows, spark_figures = _cli_outputs(db_path, "spark", tmp_path, capsys)
    # Every customer, class, flag, rank and reason alike; figures to 1e-9.
    pd.testing.assert_frame_equal(duck_rows, spark_rows, check_exact=False, rtol=1e-9,
                                  obj="classify --all")
    _assert_same_figures(duck_figures, spark_figures, "concentration --json")


def _assert_same_counters(duck: dict[str, Any], spark: dict[str, Any]) -> None:
    exact = ("rows_read", "rows_imported", "rows_rejected", "totals_dropped", "blank_rows",
             "header_rows", "mapping")
    assert {k: spark[k] for k in exact} == {k: duck[k] for k in exact}
    for key in ("file_revenue_total", "imported_revenue_total"):
        assert spark[key] == pytest.approx(duck[key], rel=1e-12)


def test_demo_data_gives_the_same_dataset(cli_spark, demo_frame, tmp_path, capsys) -> None:
    source = tmp_path / "demo.parquet"
    demo_frame.drop(columns=["source_line"]).to_parquet(source)
    db_path = tmp_path / "kam.duckdb"
    duck, spark = _import_both(source, db_path, capsys)
    _assert_same_counters(duck, spark)
    assert spark["engine"] == "spark"
    _assert_same_datasets(db_path, tmp_path, capsys)


def test_returns_rejects_regions_give_the_same_dataset(cli_spark, tmp_path, capsys) -> None:
    source = tmp_path / "mixed.csv"
    expected = _mixed_csv(source)
    db_path = tmp_path / "kam.duckdb"
    duck, spark = _import_both(source, db_path, capsys)
    assert {k: duck[k] for k in expected} == expected
    _assert_same_counters(duck, spark)
    _assert_same_datasets(db_path, tmp_path, capsys)
    rejects = _tables(db_path, "spark")["import_rejects"]
    assert list(rejects["source_line"]) == [242, 243, 244]


def test_the_summary_is_printed_as_for_duckdb(cli_spark, tmp_path, capsys) -> None:
    source = tmp_path / "mixed.csv"
    _mixed_csv(source)
    assert main(["import", str(source), "--dataset", "s", "--db", str(tmp_path / "k.duckdb"),
                 "--engine", "spark", "--map", "customer_id=customer_id"]) == 0
    out = capsys.readouterr().out
    for label in ("rows read:", "rows imported:", "rows rejected:", "customers:", "dates:",
                  "revenue in file:", "revenue imported:", "Rejected rows"):
        assert label in out


def _one_line_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    return err


def test_column_not_found_is_one_line(cli_spark, tmp_path, capsys) -> None:
    source = tmp_path / "mixed.csv"
    _mixed_csv(source)
    err = _one_line_error(["import", str(source), "--dataset", "s", "--db",
                           str(tmp_path / "k.duckdb"), "--engine", "spark",
                           "--map", "revenue=Umsatz"], capsys)
    assert "Umsatz" in err


def test_missing_source_is_one_line(cli_spark, tmp_path, capsys) -> None:
    err = _one_line_error(["import", str(tmp_path / "nothing.parquet"), "--dataset", "s",
                           "--db", str(tmp_path / "k.duckdb"), "--engine", "spark"], capsys)
    assert "nothing.parquet" in err


def test_pyspark_missing_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    err = _one_line_error(["import", "x.parquet", "--dataset", "s", "--db",
                           str(tmp_path / "k.duckdb"), "--engine", "spark"], capsys)
    assert "requirements-spark.txt" in err


def test_java_missing_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    err = _one_line_error(["import", "x.parquet", "--dataset", "s", "--db",
                           str(tmp_path / "k.duckdb"), "--engine", "spark",
                           "--spark-master", "local[2]"], capsys)
    assert "Java" in err


def test_cluster_unreachable_is_one_line(tmp_path, capsys) -> None:
    pytest.importorskip("pyspark")
    err = _one_line_error(["import", "x.parquet", "--dataset", "s", "--db",
                           str(tmp_path / "k.duckdb"), "--engine", "spark",
                           "--spark-remote", "sc://127.0.0.1:9"], capsys)
    assert "sc://127.0.0.1:9" in err


def test_spark_options_need_the_spark_engine(tmp_path, capsys) -> None:
    _one_line_error(["import", "x.csv", "--dataset", "s", "--db", str(tmp_path / "k.duckdb"),
                     "--spark-master", "local[2]"], capsys)


@pytest.mark.parametrize(("strptime", "java"), [
    ("%d.%m.%Y", "d'.'M'.'yyyy"),
    ("%Y%m%d", "yyyyMMdd"),
    ("%Y-%m-%dT%H:%M:%S.%fZ", "yyyy'-'M'-'d'T'H':'m':'s'.'SSSSSS'Z'"),
])
def test_date_formats_for_spark(strptime: str, java: str) -> None:
    assert transpile.java_date_format(strptime) == java


def test_every_aggregate_statement_transpiles() -> None:
    """Any statement added to aggregate_statements() must be writable for Spark."""
    from kam_analysis.db.aggregates import aggregate_params

    for table, sql, scratch in aggregate_statements():
        statement = transpile.spark_statement(sql, aggregate_params(7), {})
        assert statement.table == (None if scratch else table)
        assert "$" not in statement.sql and "EXCLUDE" not in statement.sql.upper()
