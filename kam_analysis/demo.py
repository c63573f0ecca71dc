"""Deterministic demo data: realistic B2B sales of a mid-sized wholesaler.

The generator is seeded, so the same arguments always give the same rows
(tests and screenshots rely on that). It produces the shapes a key account
manager meets in real ERP exports:

* one dominant customer (about a fifth of revenue) and a long tail;
* steady monthly buyers, seasonal buyers (spring/autumn peaks), irregular
  project buyers;
* customers that started in the last months, and customers that stopped
  buying a year or more before the end;
* several lines per invoice (document), products in categories, regions,
  managers, margins that differ by category, and a few returns (negative rows).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from kam_analysis.db import Database, DatasetInfo, replace_dataset

DEMO_DATASET = "Demo wholesale"

_REGIONS = ("North", "South", "East", "West", "Central")
_MANAGERS = ("Anna Petrova", "Jonas Weber", "Maria Garcia", "Tom Baker", "Olga Smirnova")
_CATEGORIES = {  # category -> (typical margin rate, products)
    "Fasteners": (0.34, ("Bolts M8", "Bolts M10", "Nuts M8", "Washers", "Anchors")),
    "Power tools": (0.22, ("Drill 18V", "Angle grinder", "Impact driver", "Jigsaw")),
    "Abrasives": (0.41, ("Cutting disc", "Sanding belt", "Flap disc")),
    "Safety": (0.38, ("Gloves", "Safety glasses", "Ear defenders", "Helmet")),
    "Adhesives": (0.30, ("Epoxy 2K", "Construction glue", "Sealant")),
    "Hydraulics": (0.18, ("Hose 1/2", "Coupling", "Pump seal kit")),
}
_NAME_PARTS = (
    ("Nord", "Baltic", "Alpen", "Volga", "Rhein", "Atlas", "Polar", "Delta", "Ural", "Sigma",
     "Orion", "Vega", "Titan", "Granit", "Stahl", "Kraft", "Prime", "Vector", "Argo", "Sever"),
    ("bau", "tech", "metall", "montage", "service", "industrie", "logistik", "energo", "prom",
     "werk", "trade", "build", "systems", "maschinen", "snab"),
    ("GmbH", "LLC", "AG", "OOO", "Ltd", "KG", "JSC", "Inc."),
)


def generate_demo(
    customers: int = 300, years: int = 3, end: date = date(2026, 10, 31), seed: int = 7
) -> pd.DataFrame:
    """Generate demo sales transactions.

    Parameters
    ----------
    customers : int, default 300
        Number of customers.
    years : int, default 3
        Length of the history, ending at ``end``.
    end : date, default 2026-10-31
        Last possible order date.
    seed : int, default 7
        Random seed; the same arguments always give the same frame.

    Returns
    -------
    DataFrame
        Canonical columns (see :mod:`kam_analysis.vocabulary`) plus ``source_line``.
    """
    if customers < 1 or years < 1:
        raise ValueError("customers and years must be at least 1")
    rng = np.random.default_rng(seed)
    start = date(end.year - years, end.month, 1) + timedelta(days=32)
    start = start.replace(day=1)
    days = (end - start).days + 1
    people = _customers(rng, customers)
    categories = list(_CATEGORIES)
    cat_pref = rng.dirichlet(np.ones(len(categories)) * 0.6, size=customers)
    prices = {p: float(rng.uniform(8, 400)) for c in categories for p in _CATEGORIES[c][1]}

    frames = []
    doc_no = 500000
    for i in range(customers):
        behaviour = people["behaviour"][i]
        for off in _order_days(rng, behaviour, start, days):
            doc_no += 1
            n_lines = int(rng.integers(1, 6))
            cats = rng.choice(categories, size=n_lines, p=cat_pref[i])
            for cat in cats:
                product = str(rng.choice(_CATEGORIES[cat][1]))
                qty = float(max(1, round(rng.gamma(2.0, 4.0 * people["size"][i]))))
                revenue = round(qty * prices[product] * rng.uniform(0.9, 1.1), 2)
                rate = _CATEGORIES[cat][0] + rng.normal(0, 0.04)
                frames.append(
                    (people["ids"][i], people["names"][i], start + timedelta(days=int(off)),
                     revenue, round(revenue * rate, 2), qty, product, cat,
                     people["region"][i], people["manager"][i], f"INV-{doc_no}")
                )
    columns = ["customer_id", "customer_name", "order_date", "revenue", "margin", "quantity",
               "product", "category", "region", "manager", "document_id"]
    df = pd.DataFrame.from_records(frames, columns=columns)
    return _with_credit_notes(df, seed, end)


def _customers(rng: np.random.Generator, customers: int) -> dict[str, Any]:
    """Ids, names, size, behaviour, region and manager of every customer."""
    ids = [f"{10001 + i:06d}" for i in range(customers)]
    names = _customer_names(rng, customers)
    # Size: lognormal long tail, with customer 0 made dominant.
    size = rng.lognormal(mean=0.0, sigma=1.25, size=customers)
    size[0] = size[1:].sum() * 0.14 if customers > 1 else 1.0
    behaviour = rng.choice(
        ["steady", "seasonal", "irregular", "new", "stopped"],
        size=customers,
        p=[0.45, 0.15, 0.25, 0.07, 0.08],
    )
    behaviour[0] = "steady"
    region = rng.choice(_REGIONS, size=customers)
    manager = rng.choice(_MANAGERS, size=customers)
    return {"ids": ids, "names": names, "size": size, "behaviour": behaviour,
            "region": region, "manager": manager}


#: Orders per year of each behaviour.
_ORDERS_PER_YEAR = {"steady": 18, "seasonal": 10, "irregular": 4, "new": 14, "stopped": 10}


def _order_days(rng: np.random.Generator, behaviour: str, start: date,
                days: int) -> np.ndarray:
    """The sorted day offsets (from ``start``) of one customer's orders."""
    first, last = 0, days - 1
    if behaviour == "new":
        first = int(rng.integers(days - 150, days - 20))
    elif behaviour == "stopped":
        last = int(rng.integers(days // 4, days - 300))
    else:
        first = int(rng.integers(0, days // 3)) if rng.random() < 0.3 else 0
    span = max(last - first + 1, 1)
    n_orders = max(1, int(rng.poisson(_ORDERS_PER_YEAR[behaviour] * span / 365 + 0.5)))
    if behaviour == "steady":
        offsets = np.linspace(first, last, n_orders) + rng.normal(0, 4, n_orders)
    elif behaviour == "seasonal":
        candidates = np.arange(first, last + 1)
        month = np.array([(start + timedelta(days=int(d))).month for d in candidates])
        weight = np.where(np.isin(month, (3, 4, 5, 9, 10)), 6.0, 0.3)
        offsets = rng.choice(candidates, size=n_orders, p=weight / weight.sum())
    else:
        offsets = rng.uniform(first, last + 1, n_orders)
    return np.sort(np.clip(np.round(offsets), first, last).astype(int))


def _with_credit_notes(df: pd.DataFrame, seed: int, end: date) -> pd.DataFrame:
    """Add a few credit notes (returns: negative rows that stay negative), sort the
    rows and number their ``source_line``."""
    returns = df.sample(frac=0.01, random_state=seed).copy()
    returns["revenue"] = -returns["revenue"].round(2)
    returns["margin"] = -returns["margin"]
    returns["quantity"] = -returns["quantity"]
    returns["order_date"] = [min(d + timedelta(days=14), end) for d in returns["order_date"]]
    returns["document_id"] = "CN-" + returns["document_id"].str[4:]
    df = pd.concat([df, returns]).sort_values(["order_date", "document_id"], kind="stable")
    df = df.reset_index(drop=True)
    df["source_line"] = np.arange(2, len(df) + 2)
    return df


def _customer_names(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        parts = [str(rng.choice(p)) for p in _NAME_PARTS]
        name = f"{parts[0]}{parts[1]} {parts[2]}"
        if name in seen:
            name = f"{name} {len(names) + 1}"
        seen.add(name)
        names.append(name)
    return names


def load_demo(db: Database, name: str = DEMO_DATASET, **kwargs: object) -> DatasetInfo:
    """(Re)create the demo dataset in ``db``.

    Parameters
    ----------
    db : Database
        Target database.
    name : str
        Dataset name.
    **kwargs
        Passed to :func:`generate_demo`.
    """
    frame = generate_demo(**kwargs)  # type: ignore[arg-type]
    return replace_dataset(
        db, name, [frame], source="demo generator",
        summary={"rows_read": len(frame), "rows_imported": len(frame)}, currency="€",
    )
