"""DuckDB SQL of the database package -> Spark SQL, with SQLGlot.

The import's reading statement (:mod:`kam_analysis.db.import_select`) and the
aggregate statements (:func:`kam_analysis.db.aggregates.aggregate_statements`)
are written once, in DuckDB SQL with ``$name`` parameters. :func:`spark_statement`
binds the parameters as literals (values of the program, never of the user's
SQL), rewrites the few DuckDB functions whose Spark spelling or meaning differs
and lets SQLGlot write the rest in Spark SQL. No pyspark import here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

# strptime directives -> Java DateTimeFormatter letters (Spark's parser), as
# (lenient: 1-2 digits where a separator follows, fixed width).
_DATE_LETTERS = {
    "Y": ("yyyy", "yyyy"), "y": ("yy", "yy"), "m": ("M", "MM"), "d": ("d", "dd"),
    "H": ("H", "HH"), "I": ("h", "hh"), "M": ("m", "mm"), "S": ("s", "ss"),
    "f": ("SSSSSS", "SSSSSS"), "p": ("a", "a"), "b": ("MMM", "MMM"), "B": ("MMMM", "MMMM"),
}


@dataclass(frozen=True)
class SparkStatement:
    """One DuckDB statement written for Spark.

    Attributes
    ----------
    table : str or None
        The target of an insert (None for a plain query).
    columns : tuple of str
        The insert's explicit column list (empty when it has none).
    by_name : bool
        An insert by name: the query's column names are the target's.
    sql : str
        The query in Spark SQL.
    """

    table: str | None
    columns: tuple[str, ...]
    by_name: bool
    sql: str


def java_date_format(strptime_format: str) -> str:
    """A strptime format (``%d.%m.%Y``) as a Spark/Java pattern (``d.M.yyyy``).

    Fields followed by a separator parse 1 or 2 digits (as DuckDB does); fields
    written together (``%Y%m%d``) have fixed widths. Other text is quoted.
    """
    parts = re.split(r"(%.)", strptime_format)
    out = []
    for i, part in enumerate(parts):
        if part.startswith("%") and len(part) == 2:
            # written together with the field before or after it: fixed width
            fixed = (parts[i + 1] == "" and i + 2 < len(parts)) or (
                parts[i - 1] == "" and i >= 2)
            letters = _DATE_LETTERS.get(part[1])
            if letters is None:
                raise ValueError(f"unsupported date directive {part}")
            out.append(letters[1] if fixed else letters[0])
        elif part:
            out.append("'" + part.replace("'", "''") + "'")
    return "".join(out)


def java_regex(pattern: str) -> str:
    """An RE2 pattern (DuckDB) for Java (Spark): case-insensitive matching of
    non-ASCII letters (Cyrillic totals rows) needs Java's ``u`` flag."""
    return pattern.replace("(?i)", "(?iu)")


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(f"{value.year:04d}-{value.month:02d}-"
                                           f"{value.day:02d}"), "DATE")
    return exp.convert(value)


def _bind(tree: exp.Expression, params: dict[str, Any]) -> exp.Expression:
    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            name = str(node.this)
            if name not in params:
                raise KeyError(f"no value for ${name}")
            return _literal(params[name])
        return node
    return tree.transform(bind)


def _string(node: exp.Expression | None) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def _strptime(args: list[exp.Expression]) -> exp.Expression:
    """try_strptime(x, fmt | [fmt, ...]) -> the first try_to_timestamp that reads x."""
    value, fmt = args
    formats = [_string(e) for e in fmt.expressions] if isinstance(fmt, exp.Array) else [
        _string(fmt)]
    if any(f is None for f in formats):
        raise ValueError("try_strptime needs constant formats")
    tries = [exp.Anonymous(this="try_to_timestamp", expressions=[
        value.copy(), exp.Literal.string(java_date_format(str(f)))]) for f in formats]
    return tries[0] if len(tries) == 1 else exp.Coalesce(this=tries[0], expressions=tries[1:])


def _format(node: exp.Format) -> exp.Expression:
    """DuckDB's format('... {} ...', x) -> Spark's format_string('... %s ...', x)."""
    template = _string(node.this)
    if template is None:
        raise ValueError("format needs a constant template")
    printf = (template.replace("%", "%%").replace("{{", "\0").replace("}}", "\1")
              .replace("{}", "%s").replace("\0", "{").replace("\1", "}"))
    return exp.Anonymous(this="format_string",
                         expressions=[exp.Literal.string(printf), *node.expressions])


def _first_ordered(node: exp.First) -> exp.Expression:
    """first(x ORDER BY k1 DESC, k2) -> min_by(x, struct(-k1, k2)) (DESC keys numeric)."""
    order = node.this
    if not isinstance(order, exp.Order):
        return node
    keys = [exp.Neg(this=exp.Paren(this=o.this.copy())) if o.args.get("desc") else o.this.copy()
            for o in order.expressions]
    return exp.Anonymous(this="min_by", expressions=[
        order.this.copy(), exp.Anonymous(this="struct", expressions=keys)])


def _isfinite(value: exp.Expression) -> exp.Expression:
    return exp.and_(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())),
                    exp.Not(this=exp.Anonymous(this="isnan", expressions=[value.copy()])),
                    exp.NEQ(this=exp.Abs(this=value.copy()),
                            expression=exp.cast(exp.Literal.string("Infinity"), "DOUBLE")))


def _rewrite(node: exp.Expression) -> exp.Expression:
    """The DuckDB functions SQLGlot does not carry over with the same meaning."""
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        args = list(node.expressions)
        if name == "try_strptime":
            return _strptime(args)
        if name == "isfinite":
            return _isfinite(args[0])
        if name in ("prefix", "suffix"):
            return exp.Anonymous(this="startswith" if name == "prefix" else "endswith",
                                 expressions=args)
    if isinstance(node, exp.Format):
        return _format(node)
    if isinstance(node, exp.First):
        return _first_ordered(node)
    if isinstance(node, exp.Chr) and isinstance(node.this, exp.Literal):
        # Spark's chr() is chr(n % 256): the character itself instead.
        return exp.Literal.string(chr(int(node.this.this)))
    if isinstance(node, exp.RegexpFullMatch | exp.RegexpLike | exp.RegexpReplace):
        pattern = node.expression
        text = _string(pattern)
        if text is not None:
            if isinstance(node, exp.RegexpFullMatch):
                return exp.RegexpLike(this=node.this,
                                      expression=exp.Literal.string(
                                          f"^(?:{java_regex(text)})$"))
            node.set("expression", exp.Literal.string(java_regex(text)))
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
    return node


def spark_statement(sql: str, params: dict[str, Any],
                    schema: dict[str, dict[str, str]] | None = None) -> SparkStatement:
    """Write one DuckDB statement (a query, or an insert of a query) for Spark.

    Parameters
    ----------
    sql : str
        DuckDB SQL from the database package, with ``$name`` parameters.
    params : dict
        The parameter values, written into the SQL as literals.
    schema : dict, optional
        Table -> column -> type of the tables it reads; needed only when the
        statement has ``* EXCLUDE (...)``, which Spark lacks: the star is then
        expanded to the columns it stands for.

    Returns
    -------
    SparkStatement
        The target table (if any) and the query in Spark SQL.
    """
    tree = sqlglot.parse_one(sql, read="duckdb")
    table, columns, by_name = None, (), False
    if isinstance(tree, exp.Insert):
        target = tree.this
        if isinstance(target, exp.Schema):
            columns = tuple(c.name for c in target.expressions)
            target = target.this
        table = target.name
        by_name = bool(tree.args.get("by_name"))
        tree = tree.expression
    tree = _bind(tree, params).transform(_rewrite)
    if any(s.args.get("except") for s in tree.find_all(exp.Star)):
        tree = qualify(tree, schema=schema or {}, dialect="duckdb", expand_stars=True,
                       quote_identifiers=False, validate_qualify_columns=False)
    return SparkStatement(table, columns, by_name, tree.sql("spark"))
