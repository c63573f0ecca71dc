"""One precision for every amount, a short form for metrics (issue 12, Formatting)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kam_analysis.db import DatasetInfo
from kam_analysis.formatting import (
    fmt_change,
    fmt_compact,
    fmt_count,
    fmt_date,
    fmt_money,
    fmt_number,
    fmt_pct,
)
from kam_analysis.i18n import language


def _info(currency: str | None = "EUR") -> DatasetInfo:
    return DatasetInfo(dataset_id=1, name="x", source="x.csv", imported_at=datetime(2025, 1, 1),
                       row_count=1, customer_count=1, first_date=date(2025, 1, 1),
                       last_date=date(2025, 1, 2), has_margin=False, has_quantity=False,
                       currency=currency, summary={})


def test_amounts_have_one_precision() -> None:
    info = _info()
    assert fmt_money(94.08, info) == "€94"
    assert fmt_money(13991.4, info) == "€13,991"
    assert fmt_money(-20, info) == "-€20"
    assert fmt_money(0.4, info) == "€0.40"  # not "€0"
    assert fmt_number(94.08) == "94" and fmt_number(30793) == "30,793"


def test_metrics_get_a_short_form() -> None:
    info = _info()
    assert fmt_compact(17_365_703.67, "revenue", info) == "€17.4M"
    assert fmt_compact(1_234_000_000, "revenue", info) == "€1.23B"
    assert fmt_compact(75_498_579, "revenue", _info("CHF")) == "CHF\u00a075.5M"
    assert fmt_compact(999_999, "revenue", info) == "€999,999"
    assert fmt_compact(2_500_000, "quantity", info) == "2.5M"
    assert fmt_compact(None, "revenue", info) == "–"


NB = "\u00a0"  # CLDR puts a no-break space between number and currency or percent sign


@pytest.mark.parametrize(("lang", "money", "rub", "compact", "pct", "change", "day", "count"), [
    ("en", "-€13,991", "₽1,234,567", "€17.4M", "12.3%", "+4.2%", "Dec 31, 2025", "25,000"),
    ("de", f"-13.991{NB}€", f"1.234.567{NB}₽", f"17,4{NB}Mio.{NB}€", f"12,3{NB}%",
     f"+4,2{NB}%", "31.12.2025", "25.000"),
    ("ru", f"-13{NB}991{NB}€", f"1{NB}234{NB}567{NB}₽", f"17,4{NB}млн{NB}€", f"12,3{NB}%",
     f"+4,2{NB}%", "31 дек. 2025\u202fг.", f"25{NB}000"),
    ("az", f"-13.991{NB}€", f"1.234.567{NB}₽", f"17,4{NB}mln{NB}€", "12,3%", "+4,2%",
     "31 dek 2025", "25.000"),
    ("vi", f"-13.991{NB}€", f"1.234.567{NB}₽", f"17,4{NB}Tr{NB}€", "12,3%", "+4,2%",
     "31 thg 12, 2025", "25.000"),
    ("fa", f"-€{NB}۱۳٬۹۹۱", f"₽{NB}۱٬۲۳۴٬۵۶۷", f"€{NB}۱۷٫۴{NB}میلیون", "۱۲٫۳٪", "+۴٫۲٪",
     "۱۴۰۴/۱۰/۱۰", "۲۵٬۰۰۰"),
])
def test_figures_read_in_the_language_of_the_session(lang, money, rub, compact, pct, change,
                                                     day, count) -> None:
    """Babel's CLDR formats per language; Persian digits and the Jalali calendar in Persian
    (2025-12-31 is 10 Dey 1404)."""
    with language(lang):
        assert fmt_money(-13991.4, _info()) == money
        assert fmt_money(1234567, _info("RUR")) == rub  # 1C writes RUR for the rouble
        assert fmt_compact(17_365_703.67, "revenue", _info()) == compact
        assert fmt_pct(0.1234) == pct
        assert fmt_change(0.042) == change
        assert fmt_date(date(2025, 12, 31)) == day
        assert fmt_count(25000) == count


def test_the_dossier_value_is_short_with_the_full_value_in_help(app_db, navigation_mode
                                                                ) -> None:
    from streamlit.testing.v1 import AppTest

    from kam_analysis.analysis import analyze
    from kam_analysis.db import get_dataset
    from kam_analysis.demo import DEMO_DATASET
    from tests.conftest import APP

    top = analyze(app_db, DEMO_DATASET).customers.iloc[0]
    info = get_dataset(app_db, DEMO_DATASET)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.query_params["customer"] = str(top["customer_id"])
    at.switch_page("pages/dossier.py").run()
    assert not at.exception
    value = next(m for m in at.metric if m.label == "Value")
    assert value.value == fmt_compact(top["value"], "revenue", info)
    assert len(value.value) <= 10
    assert fmt_money(top["value"], info) in value.proto.help


def test_axis_ticks_are_round_and_cover_the_data() -> None:
    from kam_analysis.formatting import axis_ticks

    assert axis_ticks(0, 1_230_000) == [0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000]
    assert axis_ticks(-120, 380) == [-200, -100, 0, 100, 200, 300, 400]
    assert axis_ticks(0, 0) == [0, 1]  # no data: an axis still has two ticks


@pytest.mark.parametrize(("code", "value", "text"), [
    ("ru", 1_250_000, "1,25\u00a0млн"), ("ru", 750_000, "750\u00a0тыс."), ("en", 750_000, "750K"),
    ("de", 250_000, "250.000"),  # German has no short form for thousands: grouped in full
    ("de", 1_000_000, "1\u00a0Mio."), ("fa", 1_250_000, "۱٫۲۵\u00a0میلیون"), ("en", 0, "0"),
])
def test_axis_numbers_in_the_languages_short_form(code, value, text) -> None:
    from kam_analysis.formatting import fmt_axis_number
    from kam_analysis.i18n import language

    with language(code):
        assert fmt_axis_number(value) == text
