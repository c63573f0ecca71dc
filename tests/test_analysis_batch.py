"""The per-account views of many customers at once equal the one-customer views."""

from __future__ import annotations

from datetime import date

import pandas as pd

from kam_analysis.analysis import AnalysisParams
from kam_analysis.analysis import customer as views
from kam_analysis.db import replace_dataset
from kam_analysis.demo import generate_demo


def test_batches_equal_single_calls(db) -> None:
    replace_dataset(db, "Sales", [generate_demo(customers=30, years=2)])
    params = AnalysisParams(start=date(2025, 1, 1))
    ids = ["missing", *sorted(generate_demo(customers=30, years=2)["customer_id"].astype(str)
                              .unique())[:6]]
    periods = views.customers_periods(db, "Sales", ids, params)
    products = views.customers_products(db, "Sales", ids, params)
    histories = views.customer_class_histories(db, "Sales", ids, params)
    for cid in ids:
        one_periods = views.customer_periods(db, "Sales", cid, params)
        one_products = views.customer_products(db, "Sales", cid, params)
        pd.testing.assert_frame_equal(periods[cid], one_periods)
        pd.testing.assert_frame_equal(products[cid], one_products, check_dtype=False)
        pd.testing.assert_frame_equal(histories[cid],
                                      views.customer_class_history(db, "Sales", cid, params))
    assert periods["missing"]["revenue"].eq(0).all() and products["missing"].empty
