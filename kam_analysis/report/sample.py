"""Hand-made packs in five languages, for tests, the benchmark and previews.

The content is invented; it exercises Latin with Vietnamese and Azerbaijani letters,
Cyrillic and right-to-left Persian, long texts and long lists (to test truncation).
"""

from __future__ import annotations

import math

from kam_analysis.report import model as m

LANGUAGES = ("en", "ru", "vi", "az", "fa")

_NAMES = {
    "en": ("Northwind Traders Ltd", "Contoso Pharmaceuticals", "Fabrikam Building Supplies"),
    "ru": ("ООО «Рога и копыта»", "АО «Северсталь-Трейд»", "ИП Щукин Ёлкин"),
    "vi": ("Công ty Cổ phần Thương mại Đại Việt", "Ngân hàng Thương mại Cổ phần Á Châu",
           "Tập đoàn Hòa Phát"),
    "az": ("Şəki İpək Ağacı MMC", "Gəncə Üzüm Çağı ASC", "Qəbələ Dağ Örtüyü"),
    "fa": ("شرکت پارس‌نوین", "بازرگانی آریا گستر", "صنایع غذایی مهرگان"),
}
_WORDS = {
    "en": ("Manager", "North", "Key account", "Visit", "Call", "Review the contract"),
    "ru": ("Иванова Ольга", "Север", "Ключевой клиент", "Визит", "Звонок", "Обсудить договор"),
    "vi": ("Nguyễn Thị Hương", "Miền Bắc", "Khách hàng chiến lược", "Gặp mặt", "Gọi điện",
           "Đàm phán hợp đồng mới"),
    "az": ("Əliyeva Gülşən", "Şimal", "Əsas müştəri", "Görüş", "Zəng", "Müqaviləni yeniləmək"),
    "fa": ("مریم احمدی", "شمال", "مشتری کلیدی", "بازدید", "تماس", "بازبینی قرارداد"),
}
_LABELS = {
    "ru": {"portfolio": "Портфель", "key_accounts": "Ключевые клиенты", "value": "Выручка",
           "class": "Класс", "share": "Доля", "monthly": "Выручка по месяцам",
           "page": "Стр. {page} из {pages}", "more": "ещё {n}"},
    "vi": {"portfolio": "Danh mục", "key_accounts": "Khách hàng chủ chốt", "value": "Doanh thu",
           "class": "Phân loại", "share": "Tỷ trọng", "monthly": "Doanh thu theo tháng",
           "page": "Trang {page}/{pages}", "more": "+{n} mục nữa"},
    "az": {"portfolio": "Portfel", "key_accounts": "Əsas müştərilər", "value": "Gəlir",
           "class": "Sinif", "share": "Pay", "monthly": "Aylıq gəlir",
           "page": "Səhifə {page} / {pages}", "more": "+{n} daha"},
    "fa": {"portfolio": "سبد مشتریان", "headlines": "ارقام اصلی", "figure": "شاخص",
           "key_accounts": "مشتریان کلیدی", "name": "نام", "value": "فروش", "share": "سهم",
           "class": "کلاس", "change": "تغییر", "flags": "هشدارها", "rank": "رتبه",
           "change_previous": "نسبت به دوره قبل", "change_year": "نسبت به سال قبل",
           "concentration": "تمرکز", "lost_at_risk": "مشتریان از دست رفته و در خطر",
           "status": "وضعیت", "last_purchase": "آخرین خرید", "monthly": "فروش ماهانه",
           "this_period": "۲۴ ماه اخیر", "year_before": "یک سال قبل",
           "rhythm": "ریتم خرید", "mix": "ترکیب محصولات", "general": "اطلاعات کلی",
           "decision_makers": "تصمیم‌گیرندگان", "competitors": "رقبا",
           "history": "سابقه ارتباط", "next_steps": "گام‌های بعدی", "page": "صفحه {page} از {pages}",
           "more": "+{n} مورد دیگر", "data": "داده‌ها", "parameters": "پارامترها",
           "id": "شناسه", "manager": "مدیر", "region": "منطقه", "types": "نوع مشتری",
           "class_history": "کلاس در هر فصل", "median_gap": "فاصله میانه", "none": "هیچ",
           "days_since": "روز از آخرین خرید", "rule": "قاعده", "item": "کالا",
           "person": "شخص", "role": "نقش", "influence": "نفوذ", "attitude": "نگرش به ما",
           "date": "تاریخ", "kind": "نوع", "note": "یادداشت", "step": "گام", "owner": "مسئول",
           "due": "موعد", "next_review": "بازبینی بعدی", "window": "بازه", "measure": "سنجه",
           "filters": "فیلترها", "generated": "تهیه شده", "three_ps": "سه پی",
           "need": "نیاز به پیشنهاد", "ability_to_pay": "توان پرداخت",
           "authority": "اختیار تصمیم"},
}


def _monthly(seed: int) -> m.MonthlySeries:
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    labels = tuple(f"{months[m % 12]} {24 + m // 12}" for m in range(24))
    current = tuple(1000 + 400 * math.sin((m + seed) / 3) + 25 * m for m in range(24))
    previous: tuple[float | None, ...] = tuple(
        None if m == 5 else 900 + 300 * math.sin((m + seed) / 3) for m in range(24))
    return m.MonthlySeries(labels=labels, current=current, previous=previous)


#: The churn line of every third sample account: the model could not be fitted.
NOT_FITTED = ("P(alive) cannot be estimated for this selection (cannot fit pareto_nbd: 4 "
              "customers, at least 10 needed). The rule-based flags (lost, at risk) are "
              "shown instead.")


def _churn(index: int) -> dict[str, str]:
    if index % 3 == 2:
        return {"churn_message": NOT_FITTED}
    return {"p_alive": f"{90 - index}.5 %", "expected_13w": "2.40",
            "churn_status": "likely still active"}


def sample_account(language: str, index: int) -> m.AccountPage:
    """One invented account page in ``language`` (names repeat with a number)."""
    names, words = _NAMES[language], _WORDS[language]
    name = names[index % len(names)] + (f" {index + 1}" if index >= len(names) else "")
    klass = ("AX", "BY", "CZ")[index % 3]
    long_note = " ".join([words[5]] * 30)
    return m.AccountPage(
        header=m.AccountHeader(name=name, account_id=f"C-{1000 + index}", manager=words[0],
                             region=words[1], account_types=words[2]),
        figures=m.AccountFigures(value=f"{120_000 - 1_000 * index:,}", share=f"{12 - index % 9}.5%",
                               rank=str(index + 1), abc_xyz=klass, change_previous="+4.2%",
                               change_year="-1.8%",
                               class_history=tuple((f"Q{q} 2025", klass) for q in range(1, 5))),
        monthly=_monthly(index),
        rhythm=m.PurchaseRhythm(last_purchase="2025-12-12", median_gap="21", days_since="18",
                              status=words[2], rule="days since < 2 x median gap",
                              **_churn(index)),
        mix=None if index % 3 == 2 else tuple(
            m.MixRow(item=f"{words[2]} {i}", share=f"{30 - i}%", change="+1.0%") for i in range(9)),
        dossier=m.Dossier(
            general=long_note,
            decision_makers=tuple(m.DecisionMaker(f"{words[0]} {i}", words[2], "high", "positive")
                                  for i in range(6)),
            competitors=words[1],
            history=tuple(m.HistoryEntry(f"2025-1{i % 3}-0{i + 1}", words[3 + i % 2], long_note)
                          for i in range(7)),
            next_review="2026-02-01",
            next_steps=tuple(m.NextStep(words[5], words[0], "2026-01-15") for _ in range(3)),
            three_ps=m.ThreePs(need=words[2], ability_to_pay="yes", authority=words[0])
            if index % 3 == 1 else None,
        ),
    )


def sample_pack(language: str = "en", accounts: int = 3, masked: bool = False) -> m.Pack:
    """A pack with ``accounts`` invented account pages in ``language``.

    Parameters
    ----------
    language : str
        One of ``LANGUAGES``.
    accounts : int
        Number of account pages.
    masked : bool
        Mark the meta as masked (the content is invented either way).

    Returns
    -------
    Pack
        Ready to render.
    """
    pages = tuple(sample_account(language, i) for i in range(accounts))
    meta = m.PackMeta(title=f"{_LABELS.get(language, {}).get('portfolio', 'Portfolio')} review",
                    dataset="Sales 2025", window="2025-01 - 2025-12", measure="Revenue",
                    filters="Region = North", parameters="A 80% · B 95% · XYZ CV 0.5/1.0",
                    date_range="2023-01-02 - 2025-12-30", language=language,
                    right_to_left=language == "fa", generated_at="2026-01-05 09:30",
                    masked=masked, author="KAM Analysis")
    portfolio = m.PortfolioPage(
        headlines=tuple(m.HeadlineRow(label, value, "+3.1%", "-0.4%") for label, value in (
            ("Revenue", "4,210,000"), ("Customers", "1,204"), ("Key accounts", str(accounts)),
            ("Key account share", "61%"))),
        concentration=("HHI 0.08: low concentration", f"Largest: {pages[0].header.name} 12%",
                       "Dependency: top 3 > 30%") if pages else (),
        key_accounts=tuple(m.KeyAccountRow(p.header.name, p.figures.value, p.figures.share,
                                         p.figures.abc_xyz, p.figures.change_previous, "at risk")
                           for p in pages),
        lost_at_risk=tuple(m.LostAccountRow(p.header.name, "at risk", "2025-09-01", p.figures.value,
                                            p.rhythm.p_alive) for p in pages[:2]),
    )
    return m.Pack(meta=meta, portfolio=portfolio, accounts=pages, labels=_LABELS.get(language, {}))
