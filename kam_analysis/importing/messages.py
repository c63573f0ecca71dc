"""The reasons the import gives for a row it does not take, as whole sentences
through :func:`kam_analysis.i18n.t` (templates handed to the import SQL as values)."""

from __future__ import annotations

from kam_analysis.db.import_sources import (
    IMPORT_FIRST_DATE,
    IMPORT_LAST_DATE,
    IMPORT_MAX_AMOUNT,
    ImportMessages,
)
from kam_analysis.formatting import fmt_number
from kam_analysis.i18n import t
from kam_analysis.vocabulary import FIELD_BY_NAME, FIELD_NAMES


def _empty_message(field: str, column: str) -> str:
    """The reason a row is rejected for an empty required cell (whole sentences)."""
    if field == "customer_id":
        return t("column '{column}': the customer id is empty", column=column)
    if field == "order_date":
        return t("column '{column}': the date is empty", column=column)
    if field == "revenue":
        return t("column '{column}': the revenue is empty", column=column)
    return t("column '{column}': the cell is empty", column=column)


def import_messages(headers: dict[str, str]) -> ImportMessages:
    """The reasons rows are rejected, per field, naming the mapped column.

    Parameters
    ----------
    headers : dict
        Canonical field -> the source header mapped to it.

    Returns
    -------
    ImportMessages
        Templates bound as values in the import SQL (``{}`` = the raw cell).
    """
    empty: dict[str, str] = {}
    invalid: dict[str, str] = {}
    out_of_range: dict[str, str] = {}
    for f in FIELD_NAMES:
        header = headers.get(f, FIELD_BY_NAME[f].label)
        escaped = header.replace("{", "{{").replace("}", "}}")
        kind = FIELD_BY_NAME[f].kind
        empty[f] = _empty_message(f, header)
        if kind == "number":
            invalid[f] = t("column '{column}': '{value}' is not a number",
                           column=escaped, value="{}")
            out_of_range[f] = t("column '{column}': '{value}' is outside the accepted range "
                                "(at most {limit} in absolute value)", column=escaped,
                                value="{}", limit=fmt_number(IMPORT_MAX_AMOUNT))
        elif kind == "date":
            invalid[f] = t("column '{column}': '{value}' is not a valid date",
                           column=escaped, value="{}")
            out_of_range[f] = t("column '{column}': '{value}' is outside the accepted range "
                                "of dates ({first} to {last})", column=escaped, value="{}",
                                first=IMPORT_FIRST_DATE, last=IMPORT_LAST_DATE)
        else:
            invalid[f] = t("column '{column}': '{value}' is not valid", column=escaped,
                           value="{}")
    broken = {
        "TOO MANY COLUMNS": t("the row has more cells than the header ({detail})",
                              detail="{detail}"),
        "UNQUOTED VALUE": t("a quote is not closed; the rest of the row could not be read "
                            "({detail})", detail="{detail}"),
        "INVALID ENCODING": t("the row is not valid text in the file's encoding ({detail})",
                              detail="{detail}"),
        "LINE SIZE OVER MAXIMUM": t("the row is too long ({detail})", detail="{detail}"),
        "": t("the row could not be read ({detail})", detail="{detail}"),
    }
    return ImportMessages(empty=empty, invalid=invalid, broken=broken,
                          out_of_range=out_of_range)
