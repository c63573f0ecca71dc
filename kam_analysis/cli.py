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


def cmd_hash_password(args: argparse.Namespace) -> int:
    """Read a password (typed twice at a terminal, else one line of stdin); print its hash."""
    import getpass

    from kam_analysis.auth import hash_password

    if sys.stdin is not None and sys.stdin.isatty():
        password = getpass.getpass(t("Password: "))
        if getpass.getpass(t("Repeat the password: ")) != password:
            raise ValueError(t("The two passwords differ."))
    else:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        password = line.removesuffix("\n").removesuffix("\r")
    if len(password) < args.min_length:
        raise ValueError(t("The password is shorter than {n} characters.", n=args.min_length))
    print(hash_password(password))
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

    p = sub.add_parser(
        "hash-password",
        help=t("read a password from the terminal or stdin and print its hash for "
               "[auth] password_hash in .streamlit/secrets.toml"),
    )
    p.add_argument("--min-length", type=int, default=10,
                   help=t("refuse shorter passwords (default 10)"))
    p.set_defaults(func=cmd_hash_password)
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
