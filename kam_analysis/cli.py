"""Command-line interface over the same functions the app uses.

Every command exits with status 0 on success; on failure it prints one line
saying what went wrong to standard error and exits with status 1 (2 for bad
arguments, from argparse). No traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from kam_analysis.i18n import t
from kam_analysis.storage import StorageError, list_datasets, open_database

Command = Callable[[argparse.Namespace], int]


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=None, help=t("DuckDB file (default: $KAM_DB or data/kam.duckdb)")
    )


def cmd_datasets(args: argparse.Namespace) -> int:
    """List datasets with row counts and date ranges."""
    rows = list_datasets(open_database(args.db))
    if not rows:
        print(t("No datasets yet. Import one with: "
                "python -m kam_analysis import FILE --dataset NAME"))
        return 0
    width = max(len(d.name) for d in rows)
    for d in rows:
        print(
            f"{d.name:<{width}}  {d.row_count:>10,} {t('rows')}  {d.customer_count:>7,} "
            f"{t('customers')}  {d.first_date} .. {d.last_date}"
        )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """(Re)create the demo dataset."""
    from kam_analysis.demo import DEMO_DATASET, load_demo
    from kam_analysis.storage import get_dataset

    db = open_database(args.db)
    if args.if_empty and list_datasets(db):
        return 0
    load_demo(db, DEMO_DATASET)
    info = get_dataset(db, DEMO_DATASET)
    print(t("Demo dataset {name!r}: {rows:,} rows, {customers} customers.",
            name=info.name, rows=info.row_count, customers=info.customer_count))
    return 0


def _parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip():
            raise ValueError(t("--map expects field=Header, got {pair!r}", pair=pair))
        mapping[field.strip()] = header
    return mapping


def cmd_import(args: argparse.Namespace) -> int:
    """Import a CSV/TXT, XLSX or Parquet file as a dataset and print the summary."""
    from kam_analysis.importer import ImportOptions, import_file

    options = ImportOptions(
        sheet=args.sheet,
        mapping=_parse_mapping(args.map or []) or None,
        date_order=args.date_order,
        encoding=args.encoding,
        delimiter=args.delimiter,
        currency=args.currency,
    )
    db = open_database(args.db)
    result = import_file(db, args.file, args.dataset, options)
    s = result.summary()
    preview = result.preview
    print(t("Imported {file} as dataset {name!r}.", file=args.file, name=s["dataset"]))
    if preview is not None:
        mapped = ", ".join(f"{f}={h}" for f, h in preview.mapping.items())
        print(t("  columns: {mapping}", mapping=mapped))
    figures = [
        (t("rows read"), f"{s['rows_read']:,}"),
        (t("rows imported"), f"{s['rows_imported']:,}"),
        (t("rows rejected"), f"{s['rows_rejected']:,}"),
        (t("totals dropped"), f"{s['totals_dropped']:,}"),
        (t("customers"), f"{s['customers']:,}"),
        (t("dates"), f"{s['first_date']} .. {s['last_date']}"),
        (t("revenue in file"), f"{s['file_revenue_total']:,.2f}"),
        (t("revenue imported"), f"{s['imported_revenue_total']:,.2f}"),
    ]
    width = max(len(label) for label, _ in figures) + 1
    for label, value in figures:
        print(f"  {label + ':':<{width}} {value}")
    for warning in result.warnings:
        print(t("  note: {text}", text=warning))
    lines = result.reject_lines(limit=20)
    if lines:
        print(t("Rejected rows (first {n}):", n=len(lines)))
        for line in lines:
            print("  " + line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="python -m kam_analysis", description=t("KAM Analysis command line")
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("datasets", help=t("list datasets with row counts and date ranges"))
    _add_db(p)
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("demo", help=t("(re)create the demo dataset"))
    _add_db(p)
    p.add_argument("--if-empty", action="store_true",
                   help=t("only when the database has no dataset yet"))
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import", help=t("import a CSV/TXT, XLSX or Parquet file as a dataset"))
    p.add_argument("file", help=t("the file to import"))
    p.add_argument("--dataset", required=True, help=t("dataset name (replaced if it exists)"))
    _add_db(p)
    p.add_argument("--sheet", default=None, help=t("XLSX sheet (default: first non-empty)"))
    p.add_argument("--map", action="append", metavar="FIELD=HEADER",
                   help=t("map a field to a column, e.g. --map customer_id=Kundennummer "
                          "(repeatable)"))
    p.add_argument("--date-order", choices=("DMY", "MDY"), default=None,
                   help=t("day/month order when the dates cannot tell"))
    p.add_argument("--encoding", default=None, help=t("text encoding (default: detect)"))
    p.add_argument("--delimiter", default=None,
                   help=t("CSV delimiter (default: detect among ; , tab |)"))
    p.add_argument("--currency", default=None, help=t("currency of the amounts"))
    p.set_defaults(func=cmd_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    func: Command = args.func
    try:
        return func(args)
    except (StorageError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
