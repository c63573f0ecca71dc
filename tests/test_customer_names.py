"""The customer name shown is deterministic: the name on the latest date; on a tie the
one with the most rows, then the first in text order (never the file's row order)."""

from __future__ import annotations

import pandas as pd
import pytest

from kam_analysis.analysis import AnalysisParams, analyze
from tests.analysis_fixtures import d, frame, store

# (customer, date, name): hand-made so that each rule decides one customer.
ROWS = [
    ("latest", "2024-01-10", "Old Name"),
    ("latest", "2024-03-10", "New Name"),
    ("frequent", "2024-01-10", "Beta"),      # Beta: 2 rows, Alpha: 1 row
    ("frequent", "2024-03-10", "Beta"),
    ("frequent", "2024-03-10", "Alpha"),
    ("text", "2024-01-10", "Aardvark"),      # older: does not count
    ("text", "2024-03-10", "Zeta"),
    ("text", "2024-03-10", "Alpha"),
    ("text", "2024-03-10", "Zeta "),         # a different name: one row, text order after
    ("text", "2024-03-10", "Alpha "),
    ("unnamed", "2024-03-10", None),
    ("unnamed", "2024-02-10", "Only Name"),  # a missing name is not a name
]
EXPECTED = {"latest": "New Name", "frequent": "Beta", "text": "Alpha",
            "unnamed": "Only Name"}


def _frame(order: list[int]) -> pd.DataFrame:
    rows = [ROWS[i] for i in order]
    df = frame([(cid, d(day), 10.0) for cid, day, _ in rows])
    df["customer_name"] = [name for _, _, name in rows]
    return df


@pytest.mark.parametrize("seed", range(6))
def test_names_do_not_depend_on_row_order(db, seed) -> None:
    order = list(pd.Series(range(len(ROWS))).sample(frac=1, random_state=seed))
    store(db, _frame(order))
    fast = analyze(db, "t").customers.set_index("customer_id")["customer_name"]
    general = analyze(db, "t", AnalysisParams(start=d("2024-01-05"))).customers
    general = general.set_index("customer_id")["customer_name"]
    assert fast.to_dict() == EXPECTED
    assert general.to_dict() == EXPECTED
