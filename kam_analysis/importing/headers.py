"""Header names: aliases of the canonical fields (English, German, Russian),
:func:`normalize_header`, :func:`suggest_mapping` and :func:`unique_headers`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from kam_analysis.i18n import t
from kam_analysis.vocabulary import FIELD_NAMES

_CUSTOMER_ID_ALIASES = (
    "customer id", "customer no", "customer number", "customer code", "customer nr",
    "customer #", "customerid", "cust id", "cust no", "client id", "client no",
    "client code", "client number", "account id", "account no", "account number",
    "account code", "debtor", "debtor no", "sold to", "sold to party", "kundennummer",
    "kunden nr", "kundennr", "kunde nr", "kd nr", "kdnr", "kunden id", "kundenid",
    "debitor", "debitorennummer", "debitor nr", "debitornr", "auftraggeber",
    "код клиента", "код контрагента", "код покупателя", "клиент код", "контрагент код",
    "id клиента", "номер клиента", "инн", "инн контрагента", "инн покупателя",
)


_CUSTOMER_NAME_ALIASES = (
    "customer name", "customer", "client name", "client", "account name", "account",
    "company", "buyer", "kunde", "kundenname", "kunden name", "name", "firma",
    "debitorname", "debitor name", "контрагент", "клиент", "покупатель",
    "наименование контрагента", "наименование клиента", "наименование покупателя",
    "контрагент наименование", "заказчик",
)


_ALIASES: dict[str, tuple[str, ...]] = {
    "order_date": (
        "order date", "invoice date", "date", "posting date", "document date",
        "transaction date", "sales date", "billing date", "delivery date", "day",
        "rechnungsdatum", "datum", "belegdatum", "buchungsdatum", "auftragsdatum",
        "lieferdatum", "fakturadatum", "дата", "дата документа", "дата продажи",
        "дата реализации", "дата отгрузки", "период", "день", "period",
    ),
    "revenue": (
        "revenue", "net revenue", "sales", "net sales", "sales amount", "amount",
        "net amount", "turnover", "value", "sales value", "revenue net", "total",
        "umsatz", "nettoumsatz", "umsatz netto", "netto umsatz", "betrag", "nettobetrag",
        "betrag netto", "erlös", "erlöse", "nettoerlös", "umsatzerlöse", "wert",
        "выручка", "сумма", "сумма продаж", "выручка без ндс", "сумма без ндс",
        "сумма продаж без ндс", "стоимость", "сумма реализации", "продажи", "оборот",
        "сумма выручки",
    ),
    "margin": (
        "margin", "gross profit", "gross margin", "profit", "contribution margin",
        "deckungsbeitrag", "db", "db1", "rohertrag", "marge", "rohgewinn",
        "валовая прибыль", "маржа", "прибыль", "наценка", "валовый доход",
    ),
    "quantity": (
        "quantity", "qty", "units", "pieces", "volume", "menge", "anzahl", "stück",
        "stueck", "количество", "кол во", "колво", "кол", "объем",
    ),
    "product": (
        "product", "product name", "item", "item name", "article", "sku", "material",
        "artikel", "artikelbezeichnung", "artikelname", "produkt", "bezeichnung",
        "номенклатура", "товар", "продукт", "наименование товара", "артикул", "услуга",
    ),
    "category": (
        "category", "product category", "product group", "group", "item group",
        "warengruppe", "kategorie", "produktgruppe", "artikelgruppe", "sparte",
        "категория", "группа", "товарная группа", "группа номенклатуры",
        "номенклатурная группа", "группа товаров",
    ),
    "region": (
        "region", "area", "territory", "sales region", "country", "gebiet",
        "verkaufsgebiet", "bundesland", "land", "регион", "область", "территория",
        "город", "филиал",
    ),
    "manager": (
        "manager", "account manager", "key account manager", "kam", "sales rep",
        "sales representative", "salesperson", "sales person", "sales manager",
        "vertreter", "außendienst", "aussendienst", "verkäufer", "betreuer",
        "kundenbetreuer", "sachbearbeiter", "менеджер", "ответственный",
        "торговый представитель", "менеджер клиента", "агент",
    ),
    "document_id": (
        "document", "document no", "document number", "invoice", "invoice no",
        "invoice number", "order", "order no", "order id", "order number", "doc no",
        "beleg", "belegnummer", "beleg nr", "rechnung", "rechnungsnummer", "rechnungs nr",
        "auftrag", "auftragsnummer", "lieferschein", "документ", "номер документа",
        "накладная", "счет", "счет фактура", "заказ", "номер заказа", "регистратор",
    ),
}


_VAT_WORDS = ("ндс", "mwst", "ust", "vat", "tax", "steuer", "налог")


_NET_WORDS = ("без", "excl", "ohne", "netto", "net")


def normalize_header(text: str) -> str:
    """Return a header in the form used to match names: lower case, ё->е,
    punctuation and extra spaces removed (``"Кол-во, шт."`` -> ``"кол во шт"``)."""
    text = unicodedata.normalize("NFKC", str(text)).casefold().replace("ё", "е")
    text = text.replace("№", " no ").replace("#", " # ")
    text = re.sub(r"[^\w#]+", " ", text)
    return " ".join(text.replace("_", " ").split())


_NORMALIZED: dict[str, tuple[str, ...]] = {
    "customer_id": tuple(normalize_header(a) for a in _CUSTOMER_ID_ALIASES),
    "customer_name": tuple(normalize_header(a) for a in _CUSTOMER_NAME_ALIASES),
    **{f: tuple(normalize_header(a) for a in names) for f, names in _ALIASES.items()},
}


_UNIT_WORDS = {
    "eur", "usd", "rub", "chf", "gbp", "руб", "р", "тыс", "шт", "pcs", "stk", "€", "$",
    "in", "в", "netto", "net", "brutto", "gross", "без", "ндс", "excl", "vat", "ohne",
    "mwst", "ust", "total", "sum", "summe", "итого", "всего", "ед", "units",
}


def _header_score(norm: str, alias: str) -> int:
    """2 = exact match, 1 = alias followed only by unit/currency words, else 0."""
    if norm == alias:
        return 2
    if norm.startswith(alias + " "):
        rest = norm[len(alias) + 1 :].split()
        if all(w in _UNIT_WORDS or w.isdigit() for w in rest):
            has_vat = any(w in _VAT_WORDS for w in rest)
            return 1 if not has_vat or any(w in _NET_WORDS for w in rest) else 0
    return 0


def _find(norms: Sequence[str], field_name: str, used: set[int]) -> int | None:
    best: tuple[int, int, int] | None = None  # (-score, alias rank, column)
    for rank, alias in enumerate(_NORMALIZED[field_name]):
        for i, norm in enumerate(norms):
            if i in used:
                continue
            score = _header_score(norm, alias)
            if score and (best is None or (-score, rank, i) < best):
                best = (-score, rank, i)
    return None if best is None else best[2]


def _says_name(norm: str) -> bool:
    return any(w in norm for w in ("name", "наимен", "bezeichnung", "firma", "company"))


def suggest_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Suggest canonical field -> header from header names (English, German, Russian).

    An id column is preferred for ``customer_id``; a name column then maps to
    ``customer_name`` (with only a name column, it becomes the customer id).

    Parameters
    ----------
    headers : sequence of str
        The source headers.

    Returns
    -------
    dict
        Field -> header for every field found.
    """
    norms = [normalize_header(h) for h in headers]
    used: set[int] = set()
    found: dict[str, int] = {}
    id_col = _find(norms, "customer_id", used)
    if id_col is not None:
        used.add(id_col)
    name_col = _find(norms, "customer_name", used)
    if name_col is not None:
        used.add(name_col)
    if id_col is not None:
        found["customer_id"] = id_col
        if name_col is not None:
            found["customer_name"] = name_col
    elif name_col is not None:
        found["customer_id"] = name_col
        other = _find(norms, "customer_name", used)
        if other is not None:
            # Two customer columns and no id-like name ("Kunde", "Kundenname"): the one
            # called a name holds names, the other one identifies the customer.
            used.add(other)
            named = [c for c in (name_col, other) if _says_name(norms[c])]
            name_side = named[0] if len(named) == 1 else other
            found["customer_id"] = other if name_side == name_col else name_col
            found["customer_name"] = name_side
    for field_name in _ALIASES:
        col = _find(norms, field_name, used)
        if col is not None:
            found[field_name] = col
            used.add(col)
    return {f: headers[found[f]] for f in FIELD_NAMES if f in found}


def _header_matches(cells: Sequence[str]) -> int:
    """How many canonical fields a row of cells names (used to find the header row)."""
    norms = [normalize_header(c) for c in cells if c is not None and str(c).strip()]
    if not norms:
        return 0
    hits = 0
    for aliases in _NORMALIZED.values():
        if any(_header_score(n, a) for n in norms for a in aliases):
            hits += 1
    return hits


def unique_headers(cells: Sequence[object]) -> tuple[str, ...]:
    """Clean header cells: empty -> ``Column N``; duplicates -> ``Sum``, ``Sum (2)``."""
    out: list[str] = []
    taken: set[str] = set()
    for i, cell in enumerate(cells):
        name = " ".join(str(cell).split()) if cell is not None else ""
        if not name:
            name = t("Column {n}", n=i + 1)
        if name.casefold() in taken:
            k = 2
            while f"{name} ({k})".casefold() in taken:
                k += 1
            name = f"{name} ({k})"
        taken.add(name.casefold())
        out.append(name)
    return tuple(out)
