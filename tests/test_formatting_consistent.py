"""One precision for every amount, a short form for metrics (issue 12, Formatting)."""

from __future__ import annotations

from datetime import date, datetime

from kam_analysis.db import DatasetInfo
from kam_analysis.formatting import fmt_compact, fmt_money, fmt_number


def _info(currency: str | None = "EUR") -> DatasetInfo:
    return DatasetInfo(dataset_id=1, name="x", source="x.csv", imported_at=datetime(2025, 1, 1),
                       row_count=1, customer_count=1, first_date=date(2025, 1, 1),
                       last_date=date(2025, 1, 2), has_margin=False, has_quantity=False,
                       currency=currency, summary={})


def test_amounts_have_one_precision() -> None:
    info = _info()
    assert fmt_money(94.08, info) == "€94"
    assert fmt_money(13991.4, info) == "€13,991"
    assert fmt_money(-20, info) == "-€20"
    assert fmt_money(0.4, info) == "€0.40"  # not "€0"
    assert fmt_number(94.08) == "94" and fmt_number(30793) == "30,793"


def test_metrics_get_a_short_form() -> None:
    info = _info()
    assert fmt_compact(17_365_703.67, "revenue", info) == "€17.4 M"
    assert fmt_compact(1_234_000_000, "revenue", info) == "€1.23 bn"
    assert fmt_compact(75_498_579, "revenue", _info("CHF")) == "75.5 M CHF"
    assert fmt_compact(999_999, "revenue", info) == "€999,999"
    assert fmt_compact(2_500_000, "quantity", info) == "2.50 M"
    assert fmt_compact(None, "revenue", info) == "–"


def test_the_dossier_value_is_short_with_the_full_value_in_help(app_db, navigation_mode
                                                                ) -> None:
    from streamlit.testing.v1 import AppTest

    from kam_analysis.analysis import analyze
    from kam_analysis.db import get_dataset
    from kam_analysis.demo import DEMO_DATASET
    from tests.conftest import APP

    top = analyze(app_db, DEMO_DATASET).customers.iloc[0]
    info = get_dataset(app_db, DEMO_DATASET)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.query_params["customer"] = str(top["customer_id"])
    at.switch_page("pages/dossier.py").run()
    assert not at.exception
    value = next(m for m in at.metric if m.label == "Value")
    assert value.value == fmt_compact(top["value"], "revenue", info)
    assert len(value.value) <= 10
    assert fmt_money(top["value"], info) in value.proto.help
