"""The column names the importer recognises, as data: canonical field -> language ->
the header names (any case, with or without diacritics, in any Unicode normal form:
:func:`kam_analysis.importing.headers.normalize_header` folds both sides).

Languages: English (with SAP's English labels), German (with SAP's German labels,
DATEV and other German ERPs), Russian (with 1C), Azerbaijani, Vietnamese (with MISA
and other Vietnamese accounting software), Persian (Iranian accounting software).
Within a field, earlier names win when two columns match equally well.
"""

from __future__ import annotations

#: Field -> language -> header names.
HEADER_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "customer_id": {
        "en": ("customer id", "customer no", "customer number", "customer code", "customer nr",
               "customer #", "customerid", "cust id", "cust no", "client id", "client no",
               "client code", "client number", "account id", "account no", "account number",
               "account code", "debtor", "debtor no", "sold to", "sold to party",
               "sold-to party number", "sold-to pt", "customer account"),
        "de": ("kundennummer", "kunden nr", "kundennr", "kunde nr", "kd nr", "kdnr",
               "kunden id", "kundenid", "debitor", "debitorennummer", "debitor nr",
               "debitornr", "auftraggeber", "debitorenkonto", "kundenkonto"),
        "ru": ("код клиента", "код контрагента", "код покупателя", "клиент код",
               "контрагент код", "id клиента", "номер клиента", "инн", "инн контрагента",
               "инн покупателя"),
        "az": ("müştəri kodu", "müştəri id", "müştəri nömrəsi", "müştəri no", "müştəri kod",
               "kontragent kodu", "alıcı kodu", "vöen"),
        "vi": ("mã khách hàng", "mã kh", "mã khách", "mã đối tượng", "mã người mua",
               "mã số khách hàng", "mã số thuế"),
        "fa": ("کد مشتری", "شماره مشتری", "شناسه مشتری", "کد طرف حساب", "کد خریدار",
               "کد حساب", "شماره حساب مشتری"),
    },
    "customer_name": {
        "en": ("customer name", "customer", "client name", "client", "account name",
               "account", "company", "buyer", "name 1", "name of sold to party",
               "sold to party name"),
        "de": ("kunde", "kundenname", "kunden name", "name", "firma", "debitorname",
               "debitor name", "name des auftraggebers", "auftraggebername",
               "kundenbezeichnung"),
        "ru": ("контрагент", "клиент", "покупатель", "наименование контрагента",
               "наименование клиента", "наименование покупателя", "контрагент наименование",
               "заказчик"),
        "az": ("müştəri adı", "müştəri", "müştərinin adı", "alıcı", "alıcının adı",
               "kontragent", "şirkət", "şirkətin adı"),
        "vi": ("tên khách hàng", "khách hàng", "tên kh", "tên đối tượng", "người mua",
               "tên người mua", "đơn vị mua hàng", "tên đơn vị"),
        "fa": ("نام مشتری", "مشتری", "طرف حساب", "نام طرف حساب", "خریدار", "نام خریدار",
               "شرکت", "نام شرکت"),
    },
    "order_date": {
        "en": ("order date", "invoice date", "date", "posting date", "document date",
               "transaction date", "sales date", "billing date", "delivery date", "day",
               "period"),
        "de": ("rechnungsdatum", "datum", "belegdatum", "buchungsdatum", "auftragsdatum",
               "lieferdatum", "fakturadatum", "leistungsdatum"),
        "ru": ("дата", "дата документа", "дата продажи", "дата реализации", "дата отгрузки",
               "период", "день"),
        "az": ("tarix", "sənəd tarixi", "faktura tarixi", "qaimə tarixi", "satış tarixi",
               "əməliyyat tarixi", "sifariş tarixi"),
        "vi": ("ngày chứng từ", "ngày", "ngày hóa đơn", "ngày hạch toán", "ngày bán",
               "ngày giao dịch", "ngày đặt hàng", "ngày ct", "ngày hđ"),
        "fa": ("تاریخ فاکتور", "تاریخ", "تاریخ سند", "تاریخ فروش", "تاریخ صورتحساب",
               "تاریخ صدور", "تاریخ سفارش"),
    },
    "revenue": {
        "en": ("revenue", "net revenue", "sales", "net sales", "sales amount", "amount",
               "net amount", "turnover", "value", "sales value", "revenue net", "total",
               "net value", "net val", "net value in document currency"),
        "de": ("umsatz", "nettoumsatz", "umsatz netto", "netto umsatz", "betrag",
               "nettobetrag", "betrag netto", "erlös", "erlöse", "nettoerlös", "umsatzerlöse",
               "wert", "nettowert", "umsatz ohne soll haben kz"),
        "ru": ("выручка", "сумма", "сумма продаж", "выручка без ндс", "сумма без ндс",
               "сумма продаж без ндс", "стоимость", "сумма реализации", "продажи", "оборот",
               "сумма выручки"),
        "az": ("məbləğ", "gəlir", "dövriyyə", "satış", "satış məbləği", "satışlar",
               "məbləğ ədv siz", "xalis məbləğ", "xalis gəlir", "satışdan gəlir"),
        "vi": ("doanh thu", "doanh thu thuần", "thành tiền", "số tiền", "doanh số",
               "tiền hàng", "doanh thu bán hàng", "thành tiền chưa thuế"),
        "fa": ("مبلغ", "فروش", "درآمد", "مبلغ فروش", "فروش خالص", "مبلغ خالص", "جمع مبلغ",
               "درآمد فروش", "مبلغ کل"),
    },
    "margin": {
        "en": ("margin", "gross profit", "gross margin", "profit", "contribution margin"),
        "de": ("deckungsbeitrag", "db", "db1", "rohertrag", "marge", "rohgewinn", "gewinn"),
        "ru": ("валовая прибыль", "маржа", "прибыль", "наценка", "валовый доход"),
        "az": ("mənfəət", "qazanc", "marja", "ümumi mənfəət", "ümumi marja"),
        "vi": ("lợi nhuận", "lợi nhuận gộp", "lãi gộp", "lãi", "biên lợi nhuận"),
        "fa": ("سود", "سود ناخالص", "حاشیه سود", "سود فروش", "سود ناویژه"),
    },
    "quantity": {
        "en": ("quantity", "qty", "units", "pieces", "volume", "billed quantity",
               "invoiced quantity", "billed qty"),
        "de": ("menge", "anzahl", "stück", "fakturierte menge", "absatzmenge"),
        "ru": ("количество", "кол во", "колво", "кол", "объем"),
        "az": ("miqdar", "say", "ədəd", "satış həcmi"),
        "vi": ("số lượng", "sl", "sản lượng"),
        "fa": ("تعداد", "مقدار"),
    },
    "product": {
        "en": ("product", "product name", "item", "item name", "article", "sku", "material",
               "material description"),
        "de": ("artikel", "artikelbezeichnung", "artikelname", "produkt", "bezeichnung",
               "materialkurztext", "materialbezeichnung"),
        "ru": ("номенклатура", "товар", "продукт", "наименование товара", "артикул",
               "услуга"),
        "az": ("məhsul", "məhsulun adı", "mal", "malın adı", "nomenklatura", "məhsul adı"),
        "vi": ("sản phẩm", "tên sản phẩm", "tên hàng", "mặt hàng", "hàng hóa", "tên hàng hóa",
               "mã hàng"),
        "fa": ("کالا", "نام کالا", "محصول", "نام محصول", "شرح کالا", "کد کالا"),
    },
    "category": {
        "en": ("category", "product category", "product group", "group", "item group",
               "material group"),
        "de": ("warengruppe", "kategorie", "produktgruppe", "artikelgruppe", "sparte",
               "materialgruppe"),
        "ru": ("категория", "группа", "товарная группа", "группа номенклатуры",
               "номенклатурная группа", "группа товаров"),
        "az": ("kateqoriya", "qrup", "məhsul qrupu", "mal qrupu"),
        "vi": ("danh mục", "nhóm hàng", "ngành hàng", "loại hàng", "nhóm", "nhóm sản phẩm"),
        "fa": ("گروه کالا", "دسته بندی", "گروه", "دسته", "گروه محصول"),
    },
    "region": {
        "en": ("region", "area", "territory", "sales region", "country", "sales district",
               "sales office"),
        "de": ("gebiet", "verkaufsgebiet", "bundesland", "land", "verkaufsbüro", "bezirk",
               "verkaufsbezirk"),
        "ru": ("регион", "область", "территория", "город", "филиал"),
        "az": ("region", "bölgə", "rayon", "şəhər", "filial"),
        "vi": ("khu vực", "vùng", "tỉnh", "tỉnh thành", "chi nhánh"),
        "fa": ("منطقه", "استان", "شهر", "شعبه"),
    },
    "manager": {
        "en": ("manager", "account manager", "key account manager", "kam", "sales rep",
               "sales representative", "salesperson", "sales person", "sales manager",
               "sales employee"),
        "de": ("vertreter", "außendienst", "verkäufer", "betreuer", "kundenbetreuer",
               "sachbearbeiter", "vertriebsmitarbeiter"),
        "ru": ("менеджер", "ответственный", "торговый представитель", "менеджер клиента",
               "агент"),
        "az": ("menecer", "satış meneceri", "məsul şəxs", "satış nümayəndəsi"),
        "vi": ("nhân viên bán hàng", "nhân viên", "nvbh", "người phụ trách",
               "nhân viên phụ trách", "nhân viên kinh doanh", "quản lý"),
        "fa": ("بازاریاب", "فروشنده", "کارشناس فروش", "مدیر فروش", "مسئول فروش"),
    },
    "document_id": {
        "en": ("document", "document no", "document number", "invoice", "invoice no",
               "invoice number", "order", "order no", "order id", "order number", "doc no",
               "billing document", "sales document", "billing doc"),
        "de": ("beleg", "belegnummer", "beleg nr", "rechnung", "rechnungsnummer",
               "rechnungs nr", "auftrag", "auftragsnummer", "lieferschein", "faktura",
               "fakturanummer", "verkaufsbeleg", "belegfeld 1"),
        "ru": ("документ", "номер документа", "накладная", "счет", "счет фактура", "заказ",
               "номер заказа", "регистратор"),
        "az": ("sənəd", "sənəd nömrəsi", "faktura", "faktura nömrəsi", "qaimə",
               "qaimə nömrəsi", "sifariş", "sifariş nömrəsi"),
        "vi": ("số chứng từ", "số hóa đơn", "chứng từ", "hóa đơn", "số đơn hàng", "đơn hàng",
               "số ct", "số hđ"),
        "fa": ("شماره فاکتور", "شماره سند", "فاکتور", "شماره صورتحساب", "سند",
               "شماره سفارش"),
    },
}

#: Words that may follow a header name: units, currencies, "net", "total" (``Umsatz EUR``,
#: ``Сумма, руб.``, ``مبلغ (ریال)``, ``Doanh thu (VNĐ)``).
UNIT_WORDS: tuple[str, ...] = (
    "eur", "usd", "rub", "chf", "gbp", "руб", "р", "тыс", "шт", "pcs", "stk", "€", "$",
    "in", "в", "netto", "net", "brutto", "gross", "без", "ндс", "excl", "vat", "ohne",
    "mwst", "ust", "total", "sum", "summe", "итого", "всего", "ед", "units",
    "azn", "manat", "₼", "ədv", "siz", "vnd", "vnđ", "đồng", "₫", "đ", "chưa", "thuế",
    "irr", "ریال", "تومان", "rial", "بدون", "مالیات",
)

#: Words that say an amount includes or is a tax.
VAT_WORDS: tuple[str, ...] = ("ндс", "mwst", "ust", "vat", "tax", "steuer", "налог", "ədv",
                              "thuế", "مالیات")

#: Words that say an amount is net of tax (``без НДС``, ``ohne MwSt``, ``ƏDV-siz``).
NET_WORDS: tuple[str, ...] = ("без", "excl", "ohne", "netto", "net", "siz", "chưa", "بدون")

#: Parts of a header that say a customer column holds names, not ids (any position).
NAME_PARTS: tuple[str, ...] = ("name", "наимен", "bezeichnung", "firma", "company")

#: Whole words that say a customer column holds names (``Müştəri adı``, ``Tên KH``).
NAME_WORDS: tuple[str, ...] = ("adı", "tên", "نام")
