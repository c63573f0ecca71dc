"""The per-account views of many customers at once equal the one-customer views."""

from __future__ import annotations

from datetime import date

import pandas as pd

from kam_analysis.analysis import (
    AnalysisParams,
    customer_class_histories,
    customer_class_history,
    customer_periods,
    customer_products,
    customers_periods,
    customers_products,
)
from kam_analysis.db import replace_dataset
from kam_analysis.demo import generate_demo


def test_batches_equal_single_calls(db) -> None:
    replace_dataset(db, "Sales", [generate_demo(customers=30, years=2)])
    params = AnalysisParams(start=date(2025, 1, 1))
    ids = ["missing", *sorted(generate_demo(customers=30, years=2)["customer_id"].astype(str)
                              .unique())[:6]]
    periods = customers_periods(db, "Sales", ids, params)
    products = customers_products(db, "Sales", ids, params)
    histories = customer_class_histories(db, "Sales", ids, params)
    for cid in ids:
        pd.testing.assert_frame_equal(periods[cid], customer_periods(db, "Sales", cid, params))
        pd.testing.assert_frame_equal(products[cid], customer_products(db, "Sales", cid, params),
                                      check_dtype=False)
        pd.testing.assert_frame_equal(histories[cid],
                                      customer_class_history(db, "Sales", cid, params))
    assert periods["missing"]["revenue"].eq(0).all() and products["missing"].empty
