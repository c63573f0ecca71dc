"""One figure, one name, one value: every page walked with AppTest on a dataset with
returns and customers without positive value (docs/definitions.md, "Customer counts and
totals: one name per figure")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.analysis import analyze, migration
from kam_analysis.db import Database, get_dataset, open_database
from kam_analysis.formatting import fmt_date, fmt_measure
from tests.analysis_fixtures import d, store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = ("overview", "pareto", "concentration", "abc_xyz", "key_accounts", "dossier", "data")

pytestmark = pytest.mark.usefixtures("navigation_mode")

# Five customers with positive value (1,000 in all), F with a net return of -20 and G whose
# rows net to zero: 7 customers with sales, 5 with positive value, a net total of 980.
ROWS = [
    ("A", d("2024-03-04"), 200), ("A", d("2025-06-02"), 200),
    ("B", d("2024-05-06"), 100), ("B", d("2025-11-03"), 200),
    ("C", d("2025-02-03"), 150),
    ("D", d("2024-07-01"), 40), ("D", d("2025-12-01"), 60),
    ("E", d("2024-04-01"), 25), ("E", d("2024-04-15"), 25),  # lost by the end
    ("F", d("2024-06-03"), 10), ("F", d("2025-09-01"), -30),
    ("G", d("2025-03-03"), 15), ("G", d("2025-12-15"), -15),
]


@pytest.fixture(scope="module")
def truth_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("truth") / "truth.duckdb"
    db = open_database(path)
    store(db, ROWS, name="returns")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAM_DB", str(path))
        yield db
    db.close()


def _walk() -> dict[str, dict[str, str]]:
    """Every page's metrics: page -> label -> value."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    shown: dict[str, dict[str, str]] = {}
    texts: dict[str, str] = {}
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        shown[page] = {m.label: m.value for m in at.metric}
        texts[page] = " ".join([m.value for m in at.markdown] + [w.value for w in at.warning])
        if page == "data":
            table = next(f.value for f in at.dataframe
                         if "Customers in the dataset" in f.value.columns)
            count = int(table["Customers in the dataset"].iloc[0])
            shown[page]["Customers in the dataset"] = f"{count:,}"
    shown["_texts"] = texts
    return shown


def test_every_label_has_one_value_on_every_page(truth_db: Database) -> None:
    shown = _walk()
    texts = shown.pop("_texts")
    values: dict[str, set[str]] = {}
    where: dict[str, list[str]] = {}
    for page, metrics in shown.items():
        for label, value in metrics.items():
            values.setdefault(label, set()).add(value)
            where.setdefault(label, []).append(page)
    differing = {label: v for label, v in values.items() if len(v) > 1}
    assert not differing, differing

    info = get_dataset(truth_db, "returns")
    result = analyze(truth_db, "returns")
    c = result.concentration
    expected = {
        "Customers with sales": f"{len(result.customers):,}",
        "Customers with positive value": f"{c.customers:,}",
        "Net total": fmt_measure(float(result.customers["value"].sum()), "revenue", info),
        "Total of positive customers": fmt_measure(c.total, "revenue", info),
        "Key accounts": f"{int(result.customers['key_account'].sum()):,}",
        "Customers in the dataset": f"{info.customer_count:,}",
    }
    for label, value in expected.items():
        assert values.get(label) == {value}, (label, values.get(label), where.get(label))
    # The hand-computed figures behind them.
    assert expected["Customers with sales"] == "7"
    assert expected["Customers with positive value"] == "5"
    assert expected["Customers in the dataset"] == "7"
    assert fmt_measure(980.0, "revenue", info) == expected["Net total"]
    assert fmt_measure(1000.0, "revenue", info) == expected["Total of positive customers"]
    # The two counts and the two totals each appear on more than one page.
    assert len(where["Customers with positive value"]) >= 3
    assert len(where["Net total"]) >= 2
    # The old ambiguous names are gone.
    assert not {"Customers", "Total", "Their share"} & set(values)

    # The two "lost" figures carry different names; the migration warns that its earlier
    # window starts before the data.
    assert int(result.customers["lost"].sum()) == 2  # C and E
    assert "2 lost customers (no purchase for longer than their rhythm)" in texts["overview"]
    moves = migration(truth_db, "returns")
    assert not moves.first_covered
    page = texts["key_accounts"]
    assert "Customers who bought in the earlier window but not in the later one" in page
    assert f"before the data's first date {fmt_date(date(2024, 3, 4))}" in page
    assert f"starts on {fmt_date(moves.first[0])}" in page


def test_overview_and_key_accounts_show_the_engines_changes(truth_db: Database) -> None:
    from kam_analysis.analysis import AnalysisParams, compare, customer_flow, headline_changes
    from kam_analysis.formatting import fmt_change

    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in {"window": "custom", "start": "2025-07-01", "end": "2025-12-31"}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/overview.py").run()
    assert not at.exception, [e.value for e in at.exception]
    params = AnalysisParams(start=d("2025-07-01"), end=d("2025-12-31"))
    table = headline_changes(truth_db, "returns", params)
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["Net total"] == fmt_change(table.loc["net_total", "change_previous"])
    assert deltas["Customers with positive value"] == fmt_change(
        table.loc["customers", "change_previous"])
    captions = " ".join(c.value for c in at.caption)
    assert f"vs a year earlier: {fmt_change(table.loc['net_total', 'change_year'])}" in captions
    frames = [f.value for f in at.dataframe]
    flow = customer_flow(truth_db, "returns", params)
    shown_flow = next(f for f in frames if "Recovered" in f.columns)
    assert len(shown_flow) == len(flow)  # the window's periods only, though cached from
    for shown, engine_column in (("New", "new"), ("Returning", "returning"),  # the start
                                 ("Recovered", "recovered"), ("Stopped", "stopped"),
                                 ("Active", "active")):
        assert shown_flow[shown].tolist() == flow[engine_column].tolist()
    rose = next(f for f in frames if "Difference" in f.columns)
    assert len(rose) >= 1

    at.switch_page("pages/key_accounts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    found = compare(truth_db, "returns", params).customers.set_index("customer_id")
    keys = next(f.value for f in at.dataframe if "Change vs previous period" in f.value.columns)
    for cid, shown in zip(keys["ID"], keys["Change vs previous period"], strict=True):
        assert shown == fmt_change(found.loc[cid, "change_previous"])
