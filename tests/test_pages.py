"""The Streamlit pages, driven headless with AppTest on the demo data.

Each test checks that a page runs without an exception and that what it shows
equals the engine's figures for the same parameters.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.analysis import AnalysisParams, Filters, analyze, get_tags
from kam_analysis.db import Database, get_dataset, list_datasets
from kam_analysis.demo import DEMO_DATASET
from kam_analysis.dossier import get_dossier, list_events
from ui import formatting, state

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 30


pytestmark = pytest.mark.usefixtures("navigation_mode")


def _app(page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    """Run the app through ``app.py`` and switch to ``page`` (None: the default page)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r} in {[m.label for m in at.metric]}"
    return values[0]


def test_first_start_loads_demo(app_db: Database) -> None:
    assert [d.name for d in list_datasets(app_db)] == [DEMO_DATASET]


def test_overview_shows_the_engines_figures(app_db: Database) -> None:
    at = _app()
    info = get_dataset(app_db, DEMO_DATASET)
    result = analyze(app_db, DEMO_DATASET, AnalysisParams())
    c = result.concentration
    assert _metric(at, "Customers with positive value") == f"{c.customers:,}"
    # Sums in four columns take their short form; the help gives the exact amount.
    assert _metric(at, "Total of positive customers") == formatting.fmt_compact(
        c.total, "revenue", info) == "€75.5M"
    total = next(m for m in at.metric if m.label == "Total of positive customers")
    assert total.proto.help.endswith(f"Exactly {formatting.fmt_money(c.total, info)}.")
    assert _metric(at, "Key accounts") == f"{int(result.customers['key_account'].sum()):,}"
    assert _metric(at, "Key accounts' share") == formatting.fmt_pct(c.key_share)
    assert _metric(at, "Largest customer") == formatting.fmt_pct(c.top_share)
    assert _metric(at, "HHI") == f"{c.hhi:,.0f}"
    summary = " ".join(m.value for m in at.markdown)
    assert "bring 80% of revenue" in summary  # written as English writes 21.7%
    assert formatting.fmt_pct(c.customers_for_80) in summary
    # The demo's largest customer is about a fifth of revenue: a named dependency.
    assert "critical dependency" in summary
    assert len(at.get("page_link")) >= 5


def test_sidebar_filter_changes_the_figures(app_db: Database) -> None:
    at = _app()
    at.multiselect(key="sb_region").select("North").run()
    assert not at.exception
    c = analyze(app_db, DEMO_DATASET,
                AnalysisParams(filters=Filters(regions=("North",)))).concentration
    assert _metric(at, "Customers with positive value") == f"{c.customers:,}"
    assert at.query_params["region"] == ["North"] or at.query_params["region"] == "North"


def test_query_params_round_trip(app_db: Database) -> None:
    at = _app("concentration", {"dataset": DEMO_DATASET, "window": "12m",
                                "measure": "margin", "region": "South"})
    assert at.session_state["sb_window"] == "12m"
    assert at.session_state["sb_measure"] == "margin"
    assert at.session_state["sb_region"] == ["South"]
    info = get_dataset(app_db, DEMO_DATASET)
    start, end = state.window_dates(info, "12m")
    params = AnalysisParams(measure="margin", start=start, end=end,
                            filters=Filters(regions=("South",)))
    c = analyze(app_db, DEMO_DATASET, params).concentration
    assert _metric(at, "HHI") == f"{c.hhi:,.0f}"
    assert _metric(at, "CR1") == formatting.fmt_pct(c.cr1)
    # Changing a choice writes it back to the URL.
    at.radio(key="sb_window").set_value("ytd").run()
    assert at.query_params["window"] in ("ytd", ["ytd"])


def test_bad_query_params_are_ignored(app_db: Database) -> None:
    at = _app(None, {"dataset": "no such dataset", "window": "forever", "measure": "price",
                     "region": "Atlantis", "start": "2025-13-40", "end": "x"})
    assert at.session_state["sb_dataset"] == DEMO_DATASET
    assert at.session_state["sb_window"] == "all"
    assert at.session_state["sb_measure"] == "revenue"
    assert at.session_state["sb_region"] == []
    c = analyze(app_db, DEMO_DATASET, AnalysisParams()).concentration
    assert _metric(at, "Customers with positive value") == f"{c.customers:,}"


def test_custom_window_from_the_url(app_db: Database) -> None:
    at = _app("pareto", {"window": "custom", "start": "2025-01-01", "end": "2025-06-30"})
    assert at.session_state["sb_range"] == (date(2025, 1, 1), date(2025, 6, 30))
    params = AnalysisParams(start=date(2025, 1, 1), end=date(2025, 6, 30))
    c = analyze(app_db, DEMO_DATASET, params).concentration
    assert _metric(at, "Customers with positive value") == f"{c.customers:,}"
    assert _metric(at, "Gini") == f"{c.gini:.3f}"


def _class_counts(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Class A:"))


def test_abc_xyz_page_and_limit_form(app_db: Database) -> None:
    at = _app("abc_xyz")
    customers = analyze(app_db, DEMO_DATASET, AnalysisParams()).customers
    assert _class_counts(at).startswith(f"Class A: {(customers['abc'] == 'A').sum()} customers")
    assert len(at.get("plotly_chart")) >= 1
    # Pick a cell: its customers are listed with the recommendation.
    at.segmented_control(key="abc_cell").set_value("BY").run()
    assert not at.exception
    assert _metric(at, "Customers in BY") == f"{(customers['abc_xyz'] == 'BY').sum():,}"
    # Change the ABC limits in the form: the classes change to the engine's.
    at.selectbox(key="abc_preset").set_value("70/90")
    submit = next(b for b in at.button if b.label == "Apply limits")
    submit.click().run()
    assert not at.exception
    changed = analyze(app_db, DEMO_DATASET, AnalysisParams(abc_limits=(0.7, 0.9))).customers
    n_a = (changed["abc"] == "A").sum()
    assert n_a < (customers["abc"] == "A").sum()
    assert _class_counts(at).startswith(f"Class A: {n_a} customers")
    # The setting is shared: the sensitivity table and other pages use it too.
    assert at.session_state["set_analysis"]["abc_limits"] == (0.7, 0.9)
    # Impossible limits are refused with a message and nothing changes.
    at.selectbox(key="abc_xyz_preset").set_value("custom")
    at.number_input(key="abc_x").set_value(2.0)
    at.number_input(key="abc_y").set_value(1.0)
    next(b for b in at.button if b.label == "Apply limits").click().run()
    assert not at.exception
    assert "X limit must not be above the Y limit" in at.error[0].value
    assert at.session_state["set_analysis"]["xyz_limits"] == (0.5, 1.0)  # unchanged
    # Computed limits are shown as effort and yield.
    at.selectbox(key="abc_xyz_preset").set_value("Default (0.5 / 1.0)")
    at.radio(key="abc_method").set_value("computed")
    next(b for b in at.button if b.label == "Apply limits").click().run()
    assert not at.exception
    computed = analyze(app_db, DEMO_DATASET, AnalysisParams(abc_method="computed"))
    effort = formatting.fmt_pct(computed.computed_limits["A"]["effort"])
    assert any(effort in i.value and "A/B limit" in i.value for i in at.info)
    # The buying-frequency metric works too.
    at.segmented_control(key="abc_metric").set_value("frequency").run()
    assert not at.exception
    assert at.session_state["set_analysis"]["xyz_metric"] == "frequency"


@pytest.mark.parametrize("page", ["overview", "abc_xyz", "pareto", "concentration",
                                  "key_accounts", "dossier"])
def test_an_empty_selection_explains_itself(app_db: Database, demo_frame, page: str) -> None:
    sold = set(pd.to_datetime(demo_frame["order_date"]).dt.date)
    quiet = next(d for d in sorted(sold)[1:] if d - timedelta(days=1) not in sold)
    day = (quiet - timedelta(days=1)).isoformat()  # a day without any sale
    at = _app(page, {"window": "custom", "start": day, "end": day})
    assert at.session_state["sb_range"] == (date.fromisoformat(day), date.fromisoformat(day))
    messages = [m.value for m in [*at.info, *at.warning]
                if "without sign-in" not in m.value]  # the open-mode banner says nothing here
    assert messages, "an empty selection must say why nothing is shown"
    assert not at.get("plotly_chart")


def test_pareto_page(app_db: Database) -> None:
    at = _app("pareto")
    c = analyze(app_db, DEMO_DATASET, AnalysisParams()).concentration
    assert _metric(at, "Top 20% of customers bring") == formatting.fmt_pct(c.top20_share)
    assert _metric(at, "Customers for 80%") == f"{c.customers_for_80_k:,}"
    assert len(at.get("plotly_chart")) == 3
    at.number_input(key="par_top_n").set_value(10).run()
    assert not at.exception


def test_concentration_page(app_db: Database) -> None:
    at = _app("concentration")
    c = analyze(app_db, DEMO_DATASET, AnalysisParams()).concentration
    assert _metric(at, "CR3") == formatting.fmt_pct(c.cr3)
    assert _metric(at, "N80") == f"{c.n80:,}"
    assert _metric(at, "If the top 1 leave") == formatting.fmt_money(c.revenue_at_risk[1],
                                                             get_dataset(app_db, DEMO_DATASET))
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "IFRS 8.34" in text and "Merger Guidelines" in text


def test_dossier_page_saves_and_keeps_events(app_db: Database) -> None:
    at = _app("dossier")
    customer = at.selectbox(key="dos_customer").value
    top = analyze(app_db, DEMO_DATASET, AnalysisParams()).customers.iloc[0]
    assert customer == top["customer_id"]  # sorted by rank
    assert at.query_params["customer"] in (customer, [customer])
    at.switch_page("pages/pareto.py").run()
    assert "customer" not in at.query_params  # only the dossier keeps it
    at.switch_page("pages/dossier.py").run()
    assert _metric(at, "Share") == formatting.fmt_pct(top["share"])
    at.text_area(key=f"dos_general_{customer}").input("Three plants, central purchasing")
    at.text_area(key=f"dos_competitors_{customer}").input("Würth")
    at.session_state[f"dos_people_{customer}"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"name": "Olga Ivanova", "role": "Head of purchasing",
                        "attitude": "supporter"}],
    }
    next(b for b in at.button if b.label == "Save dossier").click().run()
    assert not at.exception
    saved = get_dossier(app_db, customer)
    assert saved.general == "Three plants, central purchasing"
    assert saved.competitors == "Würth"
    assert saved.decision_makers == (
        {"name": "Olga Ivanova", "role": "Head of purchasing", "influence": "",
         "attitude": "supporter"},)
    at.selectbox(key="dos_event_kind").set_value("tender")
    at.text_input(key="dos_event_note").input("Spring tender")
    next(b for b in at.button if b.label == "Add event").click().run()
    assert not at.exception
    events = list_events(app_db, customer)
    assert list(events["kind"]) == ["tender"] and list(events["note"]) == ["Spring tender"]
    assert any(df.value.shape[0] == 1 for df in at.dataframe if "Kind" in df.value.columns)


def test_choices_persist_across_pages(app_db: Database) -> None:
    at = _app("concentration", {"window": "ytd"})
    at.selectbox(key="sb_measure").set_value("margin").run()
    at.switch_page("pages/pareto.py").run()
    assert not at.exception
    assert at.session_state["sb_window"] == "ytd"
    assert at.session_state["sb_measure"] == "margin"
    info = get_dataset(app_db, DEMO_DATASET)
    start, end = state.window_dates(info, "ytd")
    c = analyze(app_db, DEMO_DATASET, AnalysisParams(measure="margin", start=start,
                                                     end=end)).concentration
    assert _metric(at, "Gini") == f"{c.gini:.3f}"
    assert dict(at.query_params) == {"dataset": DEMO_DATASET, "window": "ytd",
                                     "measure": "margin", "lang": "en"}


def test_a_page_url_opened_first_still_goes_through_the_app(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the old-style pages-folder mode a fresh server starts in
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/key_accounts.py").run()
    assert not at.exception
    # The page ran inside app.py: the shared sidebar and the page registry are there.
    assert at.sidebar.selectbox(key="sb_dataset").value == DEMO_DATASET
    assert at.title[0].value == "Key accounts"


def test_a_page_runs_on_its_own_with_the_sidebar(app_db: Database) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "concentration.py"),
                           default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.sidebar.selectbox(key="sb_dataset").value == DEMO_DATASET
    assert _metric(at, "HHI") == f"{analyze(app_db, DEMO_DATASET).concentration.hhi:,.0f}"


def test_dossier_customer_from_the_url(app_db: Database) -> None:
    third = analyze(app_db, DEMO_DATASET).customers.iloc[2]
    for wanted, rank in ((str(third["customer_id"]), "3"), ("no such customer", "1")):
        at = _app()
        at.query_params["customer"] = wanted  # a link such as /dossier?customer=...
        at.switch_page("pages/dossier.py").run()
        assert not at.exception
        assert _metric(at, "Rank") == rank


def test_engine_errors_become_messages() -> None:
    def page() -> None:
        from ui import errors

        with errors.guard():
            raise ValueError("The window ends before it starts.")

    at = AppTest.from_function(page, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["The window ends before it starts."]




def test_key_accounts_rule_tags_and_downloads(app_db: Database) -> None:
    at = _app("key_accounts")
    result = analyze(app_db, DEMO_DATASET, AnalysisParams())
    keys = result.customers[result.customers["key_account"]]
    assert _metric(at, "Key accounts") == f"{len(keys):,}"
    table = next(df.value for df in at.dataframe if "Why key" in df.value.columns)
    assert list(table["ID"]) == list(keys["customer_id"])
    assert "first half of the value" in " ".join(table["Why key"])
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Key accounts (CSV)", "Full workbook (XLSX)"]
    # Rule: only the top 5.
    at.checkbox(key="ka_use_share").uncheck()
    at.checkbox(key="ka_use_cum").uncheck()
    at.checkbox(key="ka_use_top").check()
    at.number_input(key="ka_top").set_value(5)
    next(b for b in at.button if b.label == "Apply rule").click().run()
    assert not at.exception
    assert _metric(at, "Key accounts") == "5"
    table = next(df.value for df in at.dataframe if "Why key" in df.value.columns)
    assert set(table["Why key"]) == {"top N"}
    # Hand-set account types are stored per customer id.
    who = at.selectbox(key="ka_tag_customer").value
    at.multiselect(key=f"ka_tag_values_{who}").select("partner").run()
    next(b for b in at.button if b.label == "Save types").click().run()
    assert not at.exception
    assert get_tags(app_db)[who] == ("partner",)
    table = next(df.value for df in at.dataframe if "Why key" in df.value.columns)
    assert "partner" in table.set_index("ID").loc[who, "Account types"]
    # Lost/at-risk and migration sections are there, with the P(alive) charts of both
    # lists (the demo's churn model fits: the homogeneous dropout limit).
    assert any("Days since last purchase" in df.value.columns for df in at.dataframe)
    assert sorted(c.key for c in at.get("plotly_chart")) == [
        "ka_alive_chart", "ka_migration", "ka_watch_alive_chart"]


def test_key_accounts_offers_csv_when_excel_cannot_hold_the_customers(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kam_analysis import export

    monkeypatch.setattr(export, "MAX_XLSX_ROWS", 100)  # the demo has 300 customers
    at = _app("key_accounts")
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Key accounts (CSV)", "All customers (CSV)"]
    assert any("Too many customers for one Excel sheet (300)" in i.value for i in at.info)


def test_data_page_imports_an_upload_and_deletes_with_confirmation(app_db: Database) -> None:
    rows = "".join(f"C{i % 7};{1 + i % 28:02d}.{1 + i % 12:02d}.2025;{100 + i},50;North\n"
                   for i in range(40))
    csv = ("Kunde;Datum;Umsatz;Region\n" + rows + "C1;kein Datum;5,00;North\n").encode()
    at = _app("data")
    at.get("file_uploader")[0].upload("sales.csv", csv, "text/csv").run()
    assert not at.exception
    mapped = {s.label: s.value for s in at.selectbox}
    assert mapped["Customer ID *"] == "Kunde"
    assert mapped["Date *"] == "Datum"
    assert mapped["Revenue *"] == "Umsatz"
    next(ti for ti in at.text_input if ti.label == "Dataset name").input("Upload test")
    next(ti for ti in at.text_input if ti.label == "Currency (optional)").input("CHF")
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Rows read") == "41"
    assert _metric(at, "Rows imported") == "40"
    assert _metric(at, "Rows rejected") == "1"
    expected = sum(100.5 + i for i in range(40))
    assert _metric(at, "Revenue imported") == f"CHF\u00a0{expected:,.0f}"  # en: CLDR ¤#,##0
    assert get_dataset(app_db, "Upload test").currency == "CHF"
    rejects = next(df.value for df in at.dataframe if "Reason" in df.value.columns)
    assert len(rejects) == 1
    assert get_dataset(app_db, "Upload test").row_count == 40
    # Deleting needs the confirmation tick.
    at.selectbox(key="data_delete_dataset").set_value("Upload test").run()
    assert next(b for b in at.button if b.label == "Delete").disabled
    at.checkbox(key="data_delete_confirm").check().run()
    next(b for b in at.button if b.label == "Delete").click().run()
    assert not at.exception
    assert "Upload test" not in [d.name for d in list_datasets(app_db)]


def test_data_page_deletes_its_copy_of_the_upload(app_db: Database) -> None:
    """The saved copy of an upload goes when the file is removed from the uploader, and
    copies older than a day (sessions that ended with a file in it) go at the next upload."""
    import os
    import tempfile
    import time

    folder = Path(tempfile.gettempdir())
    stale, recent = folder / "kam_upload_stale.csv", folder / "kam_upload_recent.csv"
    for path in (stale, recent):
        path.write_bytes(b"Kunde;Datum;Umsatz\n")
    day_ago = time.time() - 24 * 3600 - 60
    os.utime(stale, (day_ago, day_ago))
    at = _app("data")
    csv = b"Kunde;Datum;Umsatz\nC1;01.02.2025;10,00\n"
    at.get("file_uploader")[0].upload("sales.csv", csv, "text/csv").run()
    assert not at.exception
    saved = Path(at.session_state["data_temp"][1])
    assert saved.read_bytes() == csv and saved.parent.parent == folder / "kam_uploads"
    assert not stale.exists() and recent.exists()
    at.get("file_uploader")[0].clear().run()
    assert not at.exception
    assert not saved.exists() and "data_temp" not in at.session_state


def test_data_page_explains_a_bad_file(app_db: Database) -> None:
    at = _app("data")
    at.get("file_uploader")[0].upload("report.csv", b"%PDF-1.7\n\x00\x01binary", "text/csv").run()
    assert not at.exception
    assert at.error and "report.csv" in at.error[0].value


def test_data_page_sheet_picker_for_a_workbook(app_db: Database) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Info"
    book.active.append(["Sales report 2025"])
    sales = book.create_sheet("Sales")
    sales.append(["Customer", "Date", "Revenue"])
    for i in range(30):
        sales.append([f"K{i % 5}", date(2025, 1 + i % 12, 1 + i % 27), 100.0 + i])
    buffer = io.BytesIO()
    book.save(buffer)
    at = _app("data")
    at.get("file_uploader")[0].upload("sales.xlsx", buffer.getvalue()).run()
    assert not at.exception
    sheet = next(s for s in at.selectbox if s.label == "Sheet")
    assert sheet.options == ["Info", "Sales"]
    sheet.set_value("Sales").run()
    # The mapping is suggested afresh for the chosen sheet.
    mapped = {s.label: s.value for s in at.selectbox}
    assert (mapped["Customer ID *"], mapped["Date *"], mapped["Revenue *"]) == (
        "Customer", "Date", "Revenue")
    next(ti for ti in at.text_input if ti.label == "Dataset name").input("Workbook test")
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert _metric(at, "Rows imported") == "30"
    assert get_dataset(app_db, "Workbook test").customer_count == 5


def test_data_page_asks_the_date_order_when_the_file_cannot_tell(app_db: Database) -> None:
    rows = "".join(f"C{i % 4},{1 + i % 12:02d}/{1 + i % 12:02d}/2025,{10 + i}\n"
                   for i in range(24))
    csv = ("customer,date,revenue\n" + rows + "C1,03/04/2025,5\n").encode()
    at = _app("data")
    at.get("file_uploader")[0].upload("dates.csv", csv, "text/csv").run()
    question = next(r for r in at.radio if r.label.startswith("Dates such as"))
    question.set_value("MDY")
    next(ti for ti in at.text_input if ti.label == "Dataset name").input("Date order test")
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert _metric(at, "Rows imported") == "25"
    assert get_dataset(app_db, "Date order test").last_date == date(2025, 12, 12)


def test_custom_range_while_picking(app_db: Database) -> None:
    at = _app("pareto", {"window": "custom", "start": "2025-01-01", "end": "2025-06-30"})
    # While the user has picked only the start date, the whole range is used.
    at.date_input(key="sb_range").set_value((date(2025, 2, 1),)).run()
    assert not at.exception
    assert at.session_state["sb_range"] == (date(2025, 2, 1),)
    c = analyze(app_db, DEMO_DATASET).concentration
    assert _metric(at, "Customers with positive value") == f"{c.customers:,}"
    # Once the end is picked, the range applies and goes to the URL.
    at.date_input(key="sb_range").set_value((date(2025, 3, 1), date(2025, 3, 31))).run()
    march = AnalysisParams(start=date(2025, 3, 1), end=date(2025, 3, 31))
    c = analyze(app_db, DEMO_DATASET, march).concentration
    assert _metric(at, "Customers with positive value") == f"{c.customers:,}"
    assert at.query_params["start"] in ("2025-03-01", ["2025-03-01"])
    assert at.query_params["end"] in ("2025-03-31", ["2025-03-31"])


def test_dossier_switching_customers_reads_the_class_history_basis_once(
        app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every customer's trailing values are read once per window; another customer's
    class history is the same figures as the engine's own call for that customer."""
    from kam_analysis import analysis as engine
    from ui import calls

    calls.clear_caches()
    reads: list[str] = []
    original = engine.trailing_values

    def counted(db, dataset, params):
        reads.append(dataset)
        return original(db, dataset, params)

    monkeypatch.setattr(engine, "trailing_values", counted)
    at = _app("dossier")
    first = at.selectbox(key="dos_customer").value
    ranked = analyze(app_db, DEMO_DATASET, AnalysisParams()).customers["customer_id"]
    second = next(c for c in ranked if c != first)
    at.selectbox(key="dos_customer").set_value(second).run()
    assert not at.exception
    assert reads == [DEMO_DATASET]
    shown = calls._customer(calls._path(), "history", get_dataset(app_db, DEMO_DATASET)
                            .dataset_id, DEMO_DATASET, second, AnalysisParams())
    expected = engine.customer_class_history(app_db, DEMO_DATASET, second, AnalysisParams())
    pd.testing.assert_frame_equal(shown, expected)
