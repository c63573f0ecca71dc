"""The Data page after an import, after a refused file and for data without the optional
filter columns (issue 12, point 7)."""

from __future__ import annotations

import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from kam_analysis.db import Database
from tests.conftest import APP

pytestmark = pytest.mark.usefixtures("navigation_mode")

TIMEOUT = 30


def _data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _import(at: AppTest, name: str, csv: bytes) -> None:
    at.get("file_uploader")[0].upload("sales.csv", csv, "text/csv").run()
    next(ti for ti in at.text_input if ti.label == "Dataset name").input(name)
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, [e.value for e in at.exception]


CSV = ("Kunde;Datum;Umsatz\n"
       + "".join(f"C{i % 5};{1 + i % 28:02d}.{1 + i % 12:02d}.2025;{100 + i},00\n"
                 for i in range(30))
       + "C1;kein Datum;5,00\n").encode()


def test_after_an_import_the_uploader_is_empty_and_rejects_show_the_new_dataset(
        app_db: Database) -> None:
    at = _data_page()
    _import(at, "Fresh import", CSV)
    assert "Last import: Fresh import" in [h.value for h in at.subheader]
    assert not any("importing replaces it" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label == "Import"]
    assert at.get("file_uploader")[0].value in (None, [])
    assert at.selectbox(key="data_rejects_dataset").value == "Fresh import"


def test_a_refused_file_names_itself_and_the_accepted_types(app_db: Database) -> None:
    at = _data_page()
    at.get("file_uploader")[0].upload("report.pdf", b"%PDF-1.7\n\x00\x01binary",
                                      "application/pdf").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "report.pdf" in at.error[0].value
    assert any(".xlsx" in c.value and ".csv" in c.value for c in at.caption)


def test_no_filters_box_without_region_manager_or_category(app_db: Database) -> None:
    at = _data_page()
    assert "Filters" in [e.label for e in at.sidebar.expander]  # the demo has regions
    _import(at, "Plain columns", CSV)
    at.run()  # the sidebar now shows the dataset just imported
    assert at.sidebar.selectbox(key="sb_dataset").value == "Plain columns"
    assert "Filters" not in [e.label for e in at.sidebar.expander]


def test_the_dataset_table_has_thousands_separators(app_db: Database) -> None:
    at = _data_page()
    table = next(df for df in at.dataframe if "Rows" in df.value.columns)
    # Written in the session's language as the cells' display values (the column keeps
    # its numbers); the demo's rows need a thousands separator.
    shown = convert_arrow_bytes_to_pandas_df(table.proto.arrow_data.styler.display_values)
    rows = [int(v) for v in table.value["Rows"]]
    assert max(rows) >= 1000
    assert list(shown.iloc[:, list(table.value.columns).index("Rows")]) == [
        f"{v:,}" for v in rows]
