"""Command-line interface over the same functions the app uses.

Every command exits with status 0 on success; on failure it prints one line
saying what went wrong to standard error and exits with status 1 (2 for bad
arguments, from argparse). No traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from kam_analysis.analysis import Analysis, AnalysisParams, KeyRule
from kam_analysis.db import StorageError, list_datasets, open_database
from kam_analysis.formatting import fmt_count, fmt_date, fmt_decimal, fmt_pct
from kam_analysis.i18n import LANGUAGES, language, t, tn
from kam_analysis.vocabulary import MEASURES

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
        rows_text = tn("{n} row", "{n} rows", d.row_count, n=fmt_count(d.row_count))
        customers = tn("{n} customer", "{n} customers", d.customer_count,
                       n=fmt_count(d.customer_count))
        print(f"{d.name:<{width}}  {rows_text:>14}  {customers:>16}  "
              + t("{start} to {end}", start=fmt_date(d.first_date), end=fmt_date(d.last_date)))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """(Re)create the demo dataset."""
    from kam_analysis.db import get_dataset
    from kam_analysis.demo import DEMO_DATASET, load_demo

    db = open_database(args.db)
    if args.if_empty and list_datasets(db):
        return 0
    load_demo(db, DEMO_DATASET)
    info = get_dataset(db, DEMO_DATASET)
    print(t("Demo dataset {name!r}: {rows:,} rows, {customers} customers.",
            name=info.name, rows=info.row_count, customers=info.customer_count))
    return 0


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(t("Invalid date {text!r}; use YYYY-MM-DD.", text=text)) from None


def _parse_pair(text: str, option: str) -> tuple[float, float]:
    parts = [p.strip() for p in str(text).split(",")]
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(t("{option} needs two numbers like 0.8,0.95, got {text!r}.",
                           option=option, text=text)) from None


def _analysis_params(args: argparse.Namespace) -> AnalysisParams:
    if args.abc is not None and args.abc_method == "computed":
        raise ValueError(t("Use either --abc or --abc-method computed, not both."))
    return AnalysisParams(
        measure=args.measure,
        start=_parse_date(args.date_from) if args.date_from else None,
        end=_parse_date(args.date_to) if args.date_to else None,
        abc_method=args.abc_method,
        abc_limits=_parse_pair(args.abc, "--abc") if args.abc else (0.80, 0.95),
        xyz_metric=args.xyz_metric,
        xyz_limits=_parse_pair(args.xyz, "--xyz") if args.xyz else None,
        period=args.period,
        key_rule=KeyRule(capacity=args.capacity),
    )


def _capacity(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            t("--capacity needs a whole number >= 0, got {text!r}.", text=text))
    return value


def _add_dataset_window(parser: argparse.ArgumentParser) -> None:
    _add_db(parser)
    parser.add_argument("--dataset", required=True, help=t("dataset name"))
    parser.add_argument("--from", dest="date_from", default=None,
                        help=t("window start YYYY-MM-DD (default: first date)"))
    parser.add_argument("--to", dest="date_to", default=None,
                        help=t("window end YYYY-MM-DD (default: last date)"))


def _add_analysis_options(parser: argparse.ArgumentParser) -> None:
    _add_dataset_window(parser)
    parser.add_argument("--measure", default="revenue", choices=MEASURES,
                        help=t("measure to analyse (default: revenue)"))
    parser.add_argument("--abc", default=None,
                        help=t("fixed ABC limits as A,B cumulative shares (default 0.8,0.95)"))
    parser.add_argument("--abc-method", default="fixed", choices=("fixed", "computed"),
                        help=t("fixed limits or computed limits (Ultsch & Lötsch 2015)"))
    parser.add_argument("--xyz-metric", default="cov", choices=("cov", "frequency"),
                        help=t("XYZ metric (default: cov)"))
    parser.add_argument("--xyz", default=None,
                        help=t("XYZ limits X,Y (default 0.5,1.0 for cov, 0.75,0.40 for "
                               "frequency)"))
    parser.add_argument("--period", default="month", choices=("week", "month", "quarter"),
                        help=t("XYZ period (default: month)"))
    parser.add_argument("--capacity", type=_capacity, default=KeyRule().capacity,
                        help=t("at most this many key accounts (default 50, 0 = no limit)"))


def _computed_limits(result: Analysis) -> dict[str, float] | None:
    """The computed ABC limits as effort and yield (``None`` when the fixed ones applied)."""
    points = result.computed_limits
    if points is None:
        return None
    return {"a_effort": points["A"]["effort"], "a_yield": points["A"]["yield"],
            "b_effort": points["C"]["effort"], "b_yield": points["C"]["yield"]}


def _print_notes(result: Analysis) -> None:
    """Print the computed ABC limits and the capacity note, when there are any."""
    from kam_analysis.analysis import capacity_text

    limits = _computed_limits(result)
    if limits is not None:
        print(t("Computed ABC limits: A up to {a_effort} of the customers ({a_yield} of the "
                "value), B up to {b_effort} ({b_yield}).",
                **{k: fmt_pct(v) for k, v in limits.items()}))
    if result.capacity_note is not None:
        print(capacity_text(result.capacity_note))


def cmd_classify(args: argparse.Namespace) -> int:
    """Write the key-account list (or every customer with --all) to CSV or XLSX, with
    P(alive) and the expected purchases of the default churn model (empty when it
    cannot be fitted), in the language of ``--lang`` (else ``$KAM_LANG``); ``--codes``
    writes the machine-readable form (code headers, ``,`` and ``.``)."""
    from kam_analysis.analysis import analyze, churn, with_churn
    from kam_analysis.export import EXPORT_COLUMNS, write_table

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise ValueError(t("--out must end in .csv or .xlsx, got {path}.", path=args.out))
    db, params = open_database(args.db), _analysis_params(args)
    result = analyze(db, args.dataset, params)
    alive = churn(db, args.dataset, params)
    if not alive.fitted:
        print(t("note: {message}", message=alive.message), file=sys.stderr)
    customers = with_churn(result.customers, alive)
    if not args.all:
        customers = customers[customers["key_account"].to_numpy(dtype=bool)]
    write_table(customers[list(EXPORT_COLUMNS)], out, codes=args.codes)
    print(t("{n} customers written to {path}.", n=fmt_count(len(customers)), path=str(out)))
    _print_notes(result)
    return 0


def concentration_figures(result: Analysis) -> dict[str, Any]:
    """The figures ``concentration`` prints: the concentration over P, the customers with
    rows in the window, the net total, the key accounts and (computed method) the limits.

    Parameters
    ----------
    result : Analysis
        A result of :func:`kam_analysis.analysis.analyze`.

    Returns
    -------
    dict
        JSON-ready figures (names as in ``docs/definitions.md``).
    """
    c = result.customers
    figures = result.concentration.to_dict()
    figures.update({
        "customers_all": len(c),
        "non_positive": int(c["non_positive"].sum()),
        "net_total": float(c["value"].sum()),
        "key_accounts": int(c["key_account"].sum()),
        "key_wanted": result.key_wanted,
        "capacity": result.params.key_rule.capacity,
        "capacity_note": (None if result.capacity_note is None
                          else result.capacity_note.to_dict()),
    })
    if result.params.abc_method == "computed":
        figures["abc_limits"] = _computed_limits(result)
    figures["window_start"] = result.window[0].isoformat()
    figures["window_end"] = result.window[1].isoformat()
    figures["measure"] = result.params.measure
    return figures


def cmd_concentration(args: argparse.Namespace) -> int:
    """Print the concentration figures of a dataset."""
    from kam_analysis.analysis import analyze

    result = analyze(open_database(args.db), args.dataset, _analysis_params(args))
    figures = concentration_figures(result)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    for key, value in figures.items():
        if key in ("capacity_note", "abc_limits"):
            continue  # printed in words below
        if isinstance(value, float):
            value = fmt_decimal(value, 4)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = fmt_count(value)
        elif isinstance(value, list):
            value = ", ".join(value) or "-"
        elif isinstance(value, dict):
            value = ", ".join(f"top {k}: {v:,.2f}" for k, v in value.items())
        print(f"{key:<20} {value}")
    _print_notes(result)
    return 0


def cmd_churn(args: argparse.Namespace) -> int:
    """Fit the churn model as of the window's end and print its parameters."""
    from kam_analysis.analysis import churn

    params = AnalysisParams(
        start=_parse_date(args.date_from) if args.date_from else None,
        end=_parse_date(args.date_to) if args.date_to else None,
    )
    result = churn(open_database(args.db), args.dataset, params, args.model)
    if result.fit is None:
        raise ValueError(result.message or t("The churn model cannot be fitted."))
    figures = result.to_dict()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v:.4g}" for k, v in value.items())
        elif isinstance(value, float):
            value = fmt_decimal(value, 2)
        print(f"{key:<16} {value}")
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    """Write the review pack (portfolio page and one page per account) as PDF or PPTX."""
    from kam_analysis.masking import Masker
    from kam_analysis.report import render_pack
    from kam_analysis.report.build import build_pack

    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "pptx"):
        raise ValueError(t("--out must end in .pdf or .pptx, got {path}.", path=args.out))
    if args.accounts is not None and args.key:
        raise ValueError(t("Use either --accounts or --key, not both."))
    accounts = None if args.accounts is None else [a for a in args.accounts.split(",") if a]
    pack = build_pack(open_database(args.db), args.dataset, _analysis_params(args), accounts,
                      masker=Masker.random() if args.mask else None)
    render_pack(pack, fmt, args.paper, out)
    print(t("Review pack with {n} account pages written to {path}.", n=len(pack.accounts),
            path=str(out)))
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


def _parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip():
            raise ValueError(t("--map expects field=Header, got {pair!r}", pair=pair))
        mapping[field.strip()] = header
    return mapping


def cmd_import(args: argparse.Namespace) -> int:
    """Import a CSV/TXT, XLSX or Parquet file as a dataset and print the summary
    (with ``--engine spark``: a Parquet/CSV path, folder, glob, URI or ``table:db.name``
    read by Spark; see docs/spark.md)."""
    from kam_analysis.importing import ImportOptions, import_file

    options = ImportOptions(
        sheet=args.sheet,
        mapping=_parse_mapping(args.map or []) or None,
        date_order=args.date_order,
        encoding=args.encoding,
        delimiter=args.delimiter,
        currency=args.currency,
    )
    db = open_database(args.db)
    if args.engine == "spark":
        from kam_analysis.spark import import_with_spark

        result = import_with_spark(db, args.file, args.dataset, options,
                                   master=args.spark_master, remote=args.spark_remote)
    else:
        if args.spark_master or args.spark_remote:
            raise ValueError(t("--spark-master and --spark-remote need --engine spark."))
        result = import_file(db, args.file, args.dataset, options)
    s = result.summary()
    preview = result.preview
    print(t("Imported {file} as dataset {name!r}.", file=args.file, name=s["dataset"]))
    if preview is not None:
        mapped = ", ".join(f"{f}={h}" for f, h in preview.mapping.items())
        print(t("  columns: {mapping}", mapping=mapped))
    figures = [
        (t("rows read"), fmt_count(s['rows_read'])),
        (t("rows imported"), fmt_count(s['rows_imported'])),
        (t("rows rejected"), fmt_count(s['rows_rejected'])),
        (t("totals dropped"), fmt_count(s['totals_dropped'])),
        (t("customers"), fmt_count(s['customers'])),
        (t("dates"), f"{s['first_date']} .. {s['last_date']}"),
        (t("revenue in file"), fmt_decimal(s['file_revenue_total'], 2)),
        (t("revenue imported"), fmt_decimal(s['imported_revenue_total'], 2)),
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


def _language_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--lang", default=None, choices=list(LANGUAGES), metavar="CODE",
                        help=t("language of messages, summaries and files: {codes} "
                               "(default: $KAM_LANG, else en)", codes=", ".join(LANGUAGES)))
    return parser


def _add_import_parser(command: Callable[..., argparse.ArgumentParser]) -> None:
    """The ``import`` sub-command and its options (``command`` adds a sub-command)."""
    p = command("import", help=t("import a CSV/TXT, XLSX or Parquet file as a dataset"))
    p.add_argument("file", metavar="SOURCE",
                   help=t("the file to import (with --engine spark: a Parquet or CSV path, "
                          "folder, glob or URI, or table:db.name)"))
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
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help=t("duckdb (default) or spark: build the aggregates on Spark "
                          "(docs/spark.md)"))
    p.add_argument("--spark-master", default=None, metavar="MASTER",
                   help=t("Spark master of a session in this process (default local[*])"))
    p.add_argument("--spark-remote", default=None, metavar="sc://HOST:15002",
                   help=t("Spark Connect address of a cluster"))
    p.set_defaults(func=cmd_import)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command (texts in this context's
    language: :func:`main` sets ``--lang`` first)."""
    parser = _language_option(argparse.ArgumentParser(
        prog="python -m kam_analysis", description=t("KAM Analysis command line")
    ))
    sub = parser.add_subparsers(dest="command", required=True)
    language = _language_option(argparse.ArgumentParser(add_help=False))

    def command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[language], **kwargs)  # --lang after it too

    p = command("datasets", help=t("list datasets with row counts and date ranges"))
    _add_db(p)
    p.set_defaults(func=cmd_datasets)

    p = command("demo", help=t("(re)create the demo dataset"))
    _add_db(p)
    p.add_argument("--if-empty", action="store_true",
                   help=t("only when the database has no dataset yet"))
    p.set_defaults(func=cmd_demo)

    p = command(
        "hash-password",
        help=t("read a password from the terminal or stdin and print its hash for "
               "[auth] password_hash in .streamlit/secrets.toml"),
    )
    p.add_argument("--min-length", type=int, default=10,
                   help=t("refuse shorter passwords (default 10)"))
    p.set_defaults(func=cmd_hash_password)

    p = command("classify", help=t("write the key-account list (or all customers) "
                                          "to CSV or XLSX"))
    _add_analysis_options(p)
    p.add_argument("--out", required=True, help=t("output file (.csv or .xlsx)"))
    p.add_argument("--all", action="store_true", help=t("every customer, not only key accounts"))
    p.add_argument("--codes", action="store_true", help=t(
        "machine-readable: code headers and values, comma-separated, decimal point"))
    p.set_defaults(func=cmd_classify)

    p = command("pack", help=t("write the review-meeting pack (PDF or PowerPoint)"))
    _add_analysis_options(p)
    p.add_argument("--out", required=True, help=t("output file (.pdf or .pptx)"))
    p.add_argument("--accounts", default=None, metavar="ID,ID",
                   help=t("customer ids, one page each (default: every key account)"))
    p.add_argument("--key", action="store_true", help=t("every key account (the default)"))
    p.add_argument("--mask", action="store_true",
                   help=t("replace customer names and ids by pseudonyms, leave dossiers out"))
    p.add_argument("--paper", default="A4", choices=("A4", "Letter"),
                   help=t("PDF paper size (default: A4)"))
    p.set_defaults(func=cmd_pack)
    p = command("concentration", help=t("print concentration figures (HHI, Gini, CR...)"))
    _add_analysis_options(p)
    p.add_argument("--json", action="store_true", help=t("print one JSON object"))
    p.set_defaults(func=cmd_concentration)

    p = command("churn", help=t("fit the churn model (P(alive)) and print its "
                                       "parameters"))
    _add_dataset_window(p)
    p.add_argument("--model", default="pareto-nbd", choices=("pareto-nbd", "bg-nbd"),
                   help=t("Pareto/NBD (default) or BG/NBD"))
    p.add_argument("--json", action="store_true", help=t("print one JSON object"))
    p.set_defaults(func=cmd_churn)

    _add_import_parser(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI in the language of ``--lang`` (else ``$KAM_LANG``); return the exit
    status."""
    early = _language_option(argparse.ArgumentParser(add_help=False))
    with language(early.parse_known_args(argv)[0].lang):  # restored afterwards (tests)
        args = build_parser().parse_args(argv)
        func: Command = args.func
        try:
            return func(args)
        except (StorageError, ValueError, OSError) as exc:
            print(t("error: {message}", message=exc), file=sys.stderr)
            return 1
