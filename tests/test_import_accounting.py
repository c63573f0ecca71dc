"""Property (issue 14, finding 1): no row vanishes without being counted.

For any generated CSV file mixing good rows with the ways rows get lost (a quote
that never closes, a stray quote, quoted line breaks, extra or missing cells, a
BOM in the middle, empty and blank lines, totals and repeated header lines, a
file cut off mid-row), every record the file holds is counted exactly once:

    rows read = imported + rejected + totals dropped
    rows read + blank rows + repeated header rows = records in the file

every good row is imported, and no reject holds more than its own record.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_analysis.db import Database, open_database
from kam_analysis.importing import ImportFailed, ImportOptions, import_file

HEADER = "Customer ID;Customer;Date;Revenue"

KINDS = {
    # kind: (template, imported?) -- {i} row number, {d} day, {a} amount
    "good": ("G{i};Name {i};2024-01-{d:02d};{a}", True),
    "newline": ('N{i};"Name {i}\nsecond line";2024-01-{d:02d};{a}', True),
    "bom": ("\ufeffB{i};Name {i};2024-01-{d:02d};{a}", True),
    "unclosed": ('Q{i};"Name {i};2024-01-{d:02d};{a}', False),
    "stray": ('S{i};Na"me {i};2024-01-{d:02d};{a}', None),
    "extra": ("E{i};Name {i};2024-01-{d:02d};{a};x;y", False),
    "short": ("H{i};Name {i}", False),
    "bad_number": ("X{i};Name {i};2024-01-{d:02d};abc", False),
    "huge": ("U{i};Name {i};2024-01-{d:02d};1e308", False),
    "empty": ("", False),
    "blank": (";;;", False),
    "total": ("Total;;;{a}", False),
    "header": (HEADER, False),
}
SINGLE_LINE = sorted(k for k in KINDS if k not in ("newline", "empty"))

row = st.tuples(st.sampled_from(sorted(KINDS)), st.integers(1, 28), st.integers(-999, 9999))


@st.composite
def files(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str]:
    rows = draw(st.lists(row, min_size=1, max_size=25))
    items = [("good", KINDS["good"][0].format(i=0, d=1, a=5))]
    items += [(kind, KINDS[kind][0].format(i=i, d=d, a=a))
              for i, (kind, d, a) in enumerate(rows, 1)]
    text = HEADER + "\n" + "\n".join(text for _, text in items)
    ending = draw(st.sampled_from(["newline", "none", "cut"]))
    if ending == "newline" or items[-1][0] == "empty":  # an empty last line needs its break
        text += "\n"
    elif ending == "cut" and items[-1][0] in SINGLE_LINE and len(items) > 1:
        last = items[-1][1]
        keep = draw(st.integers(1, max(1, len(last) - 1)))
        text = text[: len(text) - len(last) + keep]
        items[-1] = ("cut", last[:keep])
    return items, text


@settings(max_examples=int(os.environ.get("KAM_IMPORT_EXAMPLES", "10")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=files())
def test_every_record_is_counted_once(tmp_path: Path, generated: tuple[list, str]) -> None:
    items, text = generated
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("utf-8"))
    db_path = tmp_path / "db.duckdb"
    db_path.unlink(missing_ok=True)
    db: Database = open_database(db_path)
    try:
        try:
            result = import_file(db, path, "t", ImportOptions(delimiter=";"))
        except ImportFailed as exc:
            # Refusing the whole file loses no row silently, if the message names the
            # line. (DuckDB refuses some files even when collecting broken rows, e.g.
            # a row of too many cells followed by a repeated header as the last line;
            # see docs/reliability.md.)
            assert re.search(r"\bline\b\D{0,3}\d+", str(exc), re.IGNORECASE), str(exc)
            return
        with db.read() as cur:
            ids = {r[0] for r in cur.execute(
                "SELECT customer_id FROM transactions WHERE dataset_id = ?",
                [result.dataset.dataset_id]).fetchall()}
    finally:
        db.close()
    assert result.rows_read == (result.rows_imported + result.rows_rejected
                                + result.totals_dropped)
    assert result.rows_read + result.blank_rows + result.header_rows == len(items), (
        result.summary(), items)
    good = {text.split(";")[0].lstrip("\ufeff") for kind, text in items if KINDS.get(
        kind, ("", False))[1]}
    assert good <= ids  # a byte order mark in mid-file is not part of the id
    for raw in result.rejects["raw"]:
        assert str(raw).rstrip("\r\n").count("\n") == 0
