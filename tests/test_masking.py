"""Demo masking: stable, unique pseudonyms that never leak the real ids or names."""

from __future__ import annotations

import hashlib
import hmac
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam_analysis.masking import Masker, is_customer_id_column, is_customer_name_column


def test_label_is_hmac_prefix() -> None:
    expected = hmac.new(b"s3cret", b"000123", hashlib.sha256).hexdigest().upper()[:5]
    m = Masker("s3cret")
    assert m.customer_label("000123") == f"Customer {expected}"
    assert m.customer_id_label("000123") == f"C-{expected}"


def test_stable_within_a_masker_and_across_maskers_with_the_same_salt() -> None:
    a, b = Masker("salt"), Masker("salt")
    ids = [f"{i:06d}" for i in range(50)]
    first = [a.customer_label(i) for i in ids]
    assert [a.customer_label(i) for i in reversed(ids)] == first[::-1]
    assert [b.customer_label(i) for i in ids] == first
    assert a.customer_label(123) == a.customer_label("123")


def test_salt_changes_pseudonyms() -> None:
    ids = [f"{i:06d}" for i in range(200)]
    one = {Masker("one").customer_label(i) for i in ids}
    two = {Masker("two").customer_label(i) for i in ids}
    assert len(one & two) <= 1  # a chance overlap of 5 hex digits is possible, not more
    r1, r2 = Masker.random(), Masker.random()
    assert sum(r1.code(i) != r2.code(i) for i in ids) >= 198
    with pytest.raises(ValueError):
        Masker("")


def test_unique_over_100k_ids_with_deterministic_collisions() -> None:
    ids = [f"{i:07d}" for i in range(100_000)]
    m = Masker("unique-test")
    m.register(ids)
    labels = [m.customer_label(i) for i in ids]
    assert len(set(labels)) == len(ids)
    codes = [label.removeprefix("Customer ") for label in labels]
    assert all(re.fullmatch(r"[0-9A-F]{5,64}", c) for c in codes)
    longer = sum(len(c) > 5 for c in codes)
    assert 1000 < longer < 10_000  # birthday collisions in 16**5 codes did happen and resolve
    # The same set in another order gets the same codes (registration goes by digest).
    again = Masker("unique-test")
    again.register(reversed(ids))
    assert [again.customer_label(i) for i in ids] == labels


def test_collision_resolution_extends_the_digest() -> None:
    m = Masker("k")
    # Find two ids that share the first 5 hex digits of their HMAC.
    seen: dict[str, str] = {}
    pair = None
    for i in range(10**6):
        key = str(i)
        code = hmac.new(b"k", key.encode(), hashlib.sha256).hexdigest().upper()[:5]
        if code in seen:
            pair = (seen[code], key)
            break
        seen[code] = key
    assert pair is not None
    a, b = pair
    la, lb = m.code(a), m.code(b)
    digest_b = hmac.new(b"k", b.encode(), hashlib.sha256).hexdigest().upper()
    assert la != lb and len(la) == 5 and lb == digest_b[:6]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["000101", "000102", "000101", None, "000103"],
        "customer_name": ["Nordbau GmbH", "Volga Trade OOO", "Nordbau GmbH", "Orphan AG", None],
        "value": [10.0, 20.0, 5.0, 1.0, 2.0],
    })


def test_mask_frame_consistent_and_leak_free() -> None:
    df = _frame()
    m = Masker("frame")
    out = m.mask_frame(df)
    assert df.equals(_frame())  # input untouched
    assert out["value"].tolist() == df["value"].tolist()
    assert out.loc[0, "customer_id"] == out.loc[2, "customer_id"] == m.customer_id_label("000101")
    assert out.loc[0, "customer_name"] == m.customer_label("000101")
    assert out.loc[1, "customer_name"] == m.customer_label("000102")
    assert pd.isna(out.loc[3, "customer_id"]) and pd.isna(out.loc[4, "customer_name"])
    assert out.loc[3, "customer_name"].startswith("Customer ")
    text = out.to_csv()
    for original in ("000101", "000102", "000103", "Nordbau", "Volga", "Orphan"):
        assert original not in text


def test_same_customer_same_pseudonym_in_every_table() -> None:
    m = Masker("session")
    customers = m.mask_frame(_frame())
    summary = m.mask_frame(pd.DataFrame({"top_customer_id": ["000102"],
                                         "top_customer_name": ["Volga Trade OOO"]}))
    names_only = m.mask_frame(pd.DataFrame({"customer_name": ["Volga Trade OOO"]}))
    by_index = m.mask_frame(pd.DataFrame({"v": [1]}, index=pd.Index(["000102"],
                                                                     name="customer_id")))
    assert summary.loc[0, "top_customer_id"] == customers.loc[1, "customer_id"]
    assert summary.loc[0, "top_customer_name"] == customers.loc[1, "customer_name"]
    assert names_only.loc[0, "customer_name"] == customers.loc[1, "customer_name"]
    assert by_index.index[0] == customers.loc[1, "customer_id"]


def test_column_name_patterns() -> None:
    for name in ("customer_id", "top_customer_id", "CustomerID", "Customer_Id"):
        assert is_customer_id_column(name)
    for name in ("customer_name", "top_customer_name", "CustomerName"):
        assert is_customer_name_column(name)
    for name in ("customers", "customer_ids_count", "idcustomer", "region", 3, None):
        assert not is_customer_id_column(name) and not is_customer_name_column(name)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=6, max_size=10),
                min_size=1, max_size=40, unique=True))
def test_no_original_id_survives(ids: list[str]) -> None:
    df = pd.DataFrame({"customer_id": ids, "customer_name": [f"Firm {i}" for i in ids]})
    out = Masker("prop").mask_frame(df)
    assert out["customer_id"].nunique() == len(ids)
    flat = " ".join(out["customer_id"].tolist() + out["customer_name"].tolist())
    cells = set(out["customer_id"]) | set(out["customer_name"])
    assert not any(i in cells for i in ids)
    assert "Firm " not in flat


def test_real_id_reverses_only_issued_id_pseudonyms() -> None:
    m = Masker("reverse")
    frame = m.mask_frame(pd.DataFrame({"customer_id": ["000123", "000456"],
                                       "customer_name": ["Acme", "Beta"]}))
    assert [m.real_id(p) for p in frame["customer_id"]] == ["000123", "000456"]
    assert m.real_id(frame["customer_name"][0]) is None  # a name label is not an id
    assert m.real_id("C-00000") is None and m.real_id(None) is None
    assert m.real_id(m.name_label("Solo")) is None
    other = Masker("other")
    assert other.real_id(frame["customer_id"][0]) is None  # another session's pseudonym


# ---- Import messages while masking (issue 14, finding 8) ------------------------------

@pytest.mark.parametrize(("reason", "shown"), [
    ("column 'Umsatz': 'ACME Secret GmbH' is not a number",
     "column 'Umsatz': '(hidden)' is not a number"),
    ("column 'Datum': 'O'Brien & Sons' is not a valid date",
     "column 'Datum': '(hidden)' is not a valid date"),
    ("column 'Umsatz': the revenue is empty", "column 'Umsatz': the revenue is empty"),
    ("the row has more cells than the header (ACME;1;2;3)",
     "the row has more cells than the header ((hidden))"),
    ("x.csv: none of the 2 rows could be imported. line 2, column 'Umsatz': 'ACME' is not "
     "a number; line 3, column 'Datum': 'Beta Ltd' is not a valid date",
     "x.csv: none of the 2 rows could be imported. line 2, column 'Umsatz': '(hidden)' is "
     "not a number; line 3, column 'Datum': '(hidden)' is not a valid date"),
])
def test_mask_message_hides_quoted_values(reason: str, shown: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import masking as ui_masking

    monkeypatch.setattr(ui_masking, "hidden_note", lambda: "(hidden)")
    assert ui_masking.mask_message(reason) == shown


@pytest.mark.usefixtures("navigation_mode")
def test_data_page_hides_names_in_reject_reasons_and_messages(
    app_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parent.parent / "app.py")
    secret = "Zebra Secret Holding"
    csv = ("Kunde;Name;Datum;Umsatz\nC1;A;01.02.2025;10,00\nC2;B;02.02.2025;20,00\n"
           f"C3;{secret};03.02.2025;{secret}\nC4;D;{secret};5,00\n").encode()
    at = AppTest.from_file(app, default_timeout=30)
    at.session_state["sb_mask"] = True
    at.run()
    at.switch_page("pages/data.py").run()
    at.get("file_uploader")[0].upload("masked.csv", csv, "text/csv").run()
    next(ti for ti in at.text_input if ti.label == "Dataset name").input("Masked import")
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["sb_mask"]
    shown = [df.value.to_csv() for df in at.dataframe]
    shown += [str(e.value) for kind in ("markdown", "caption", "info", "warning", "error",
                                        "success") for e in at.get(kind)]
    reasons = [df.value for df in at.dataframe if "Reason" in df.value.columns]
    assert reasons and all(len(r) == 2 for r in reasons), reasons
    assert not [s for s in shown if "Zebra" in s], shown
