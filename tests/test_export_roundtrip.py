"""Property: what the product exports (CSV, XLSX) imports back to the same totals.

A sales director exports the customer list, edits nothing, and loads it as a
dataset again (or into another tool): ids keep their leading zeros, formula-like
names stay text, negative values stay numbers. The export is in the user's language
(translated headers; German and Russian CSV with ``;`` and decimal commas), so the
round trip maps the columns by the same language's header names.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_analysis.db import open_database
from kam_analysis.export import csv_bytes, write_table
from kam_analysis.export_sheets import column_label
from kam_analysis.i18n import language
from kam_analysis.importing import ImportOptions, import_file
from tests.import_helpers import totals_by_customer

ids = st.text(alphabet="0123456789", min_size=1, max_size=6)  # leading zeros included
names = st.text(alphabet="ABCxyzÄöЖ &=+-@'", min_size=1, max_size=12).filter(str.strip)
rows = st.lists(
    st.tuples(ids, names, st.integers(0, 500), st.integers(-2_000_000, 50_000_000)),
    min_size=1, max_size=30,
)


def _frame(drawn: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    names_by_id: dict[str, str] = {}
    for cid, name, _, _ in drawn:
        names_by_id.setdefault(cid, name)  # one name per id, as in an ERP
    return pd.DataFrame({
        "customer_id": [cid for cid, *_ in drawn],
        "customer_name": [names_by_id[cid] for cid, *_ in drawn],
        "order_date": [date(2024, 1, 1) + timedelta(days=d) for _, _, d, _ in drawn],
        "revenue": [cents / 100 for *_, cents in drawn],
    })


def _expected(frame: pd.DataFrame) -> dict[str, float]:
    return {k: round(v, 2) for k, v in frame.groupby("customer_id")["revenue"].sum().items()}


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=rows, kind=st.sampled_from(["csv", "xlsx"]),
       lang=st.sampled_from(["en", "de", "ru", "fa"]))
def test_exported_table_reimports_to_the_same_totals(tmp_path: Path, drawn, kind: str,
                                                     lang: str) -> None:
    frame = _frame(drawn)
    path = tmp_path / f"export_{lang}.{kind}"
    with language(lang):
        if kind == "csv":
            path.write_bytes(csv_bytes(frame))
        else:
            write_table(frame, path)
        mapping = {col: column_label(col) for col in frame.columns}
    db = open_database(tmp_path / f"roundtrip_{kind}_{lang}.duckdb")
    try:
        result = import_file(db, path, "again", ImportOptions(mapping=mapping))
        assert result.rows_imported == len(frame)
        got = {k: round(v, 2) for k, v in totals_by_customer(db, "again").items()}
        assert got == _expected(frame)
    finally:
        db.close()
