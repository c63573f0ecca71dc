"""A large synthetic dataset generated directly in DuckDB (for benchmarks)."""

from __future__ import annotations

from datetime import date

from kam_analysis.db.connection import Database
from kam_analysis.db.datasets import DatasetInfo, swap_in_dataset, validate_dataset_name


def create_synthetic_dataset(
    db: Database,
    name: str,
    *,
    rows: int,
    customers: int,
    first_date: date,
    days: int,
    seed: int = 1,
) -> DatasetInfo:
    """Generate a large synthetic dataset directly in DuckDB (for benchmarks).

    Invoices of 4 lines share a customer and a date; customer sizes follow a
    steep power law (a few large accounts, a long tail); 1 % of lines are
    returns. Aggregates are built exactly as an import builds them. Replaces
    any dataset of that name, in one transaction.
    """
    name = validate_dataset_name(name)
    if rows < 1 or customers < 1 or days < 1:
        raise ValueError("rows, customers and days must be at least 1.")
    with db.write() as cur:
        [(new_id,)] = cur.execute("SELECT nextval('dataset_id_seq')").fetchall()
        cur.execute(
            """INSERT INTO transactions
               WITH base AS (
                   SELECT i, i // 4 AS doc,
                          (hash(i // 4, $seed, 1) % 1000003) / 1000003.0 AS u_cust,
                          (hash(i // 4, $seed, 2) % 1000003) / 1000003.0 AS u_day,
                          (hash(i, $seed, 3) % 1000003) / 1000003.0 AS u_amount,
                          hash(i, $seed, 4) % 100 AS r_return,
                          hash(i, $seed, 5) % 6 AS r_category,
                          hash(i, $seed, 6) % 5 AS r_product
                   FROM range($rows) t(i)
               ),
               shaped AS (
                   SELECT *, least(floor($customers * pow(u_cust, 4.0))::BIGINT,
                                   $customers - 1) AS cust
                   FROM base
               ),
               sized AS (
                   -- Larger accounts also buy more per line.
                   SELECT *, pow($customers / (cust + 1.0), 0.2) AS size FROM shaped
               )
               SELECT $ds, i + 2,
                      'C' || lpad(cust::VARCHAR, 7, '0'),
                      'Customer ' || cust::VARCHAR,
                      ($first::DATE + (floor(u_day * $days))::INTEGER)::DATE,
                      (CASE WHEN r_return = 0 THEN -1 ELSE 1 END)
                          * round((5 + 2000 * pow(u_amount, 3)) * size, 2),
                      (CASE WHEN r_return = 0 THEN -1 ELSE 1 END)
                          * round((5 + 2000 * pow(u_amount, 3)) * size
                                  * (0.15 + r_category * 0.04), 2),
                      1 + r_product,
                      'Product ' || (r_category * 5 + r_product)::VARCHAR,
                      'Category ' || r_category::VARCHAR,
                      'Region ' || (hash(cust, $seed, 7) % 5)::VARCHAR,
                      'Manager ' || (hash(cust, $seed, 8) % 12)::VARCHAR,
                      'INV-' || doc::VARCHAR,
                      NULL  -- row_count: each row is one source row
               FROM sized""",
            {"ds": new_id, "seed": seed, "rows": rows, "customers": customers,
             "first": first_date, "days": days},
        )
        info = swap_in_dataset(cur, new_id, name, "synthetic", None, None)
    db.checkpoint()
    return info
