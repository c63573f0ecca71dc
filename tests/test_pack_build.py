"""The review pack built from the demo data: through the adapter and through the CLI,
read back from the PDF (pypdf) and the PPTX (python-pptx)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from kam_analysis.analysis import AnalysisParams, analyze, churn
from kam_analysis.cli import main
from kam_analysis.db import Database, open_database
from kam_analysis.demo import DEMO_DATASET, load_demo
from kam_analysis.dossier import save_dossier
from kam_analysis.formatting import fmt_date, fmt_decimal, label
from kam_analysis.formatting import fmt_pct as pct
from kam_analysis.masking import Masker
from kam_analysis.report import render_pack
from kam_analysis.report.build import build_pack
from tests.analysis_fixtures import d, store
from tests.test_report_render import _slide_text
from ui import formatting

NOW = datetime(2026, 1, 5, 9, 30)
#: Three customers: too few for the churn model.
TINY = [("a", d("2024-01-05"), 10), ("a", d("2024-06-01"), 20), ("b", d("2024-03-01"), 7),
        ("b", d("2024-12-20"), 8), ("c", d("2024-11-30"), 3)]


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pack") / "demo.duckdb"
    db = open_database(path)
    load_demo(db)
    db.close()
    return path


@pytest.fixture
def demo(demo_path: Path) -> Iterator[tuple[Path, Database]]:
    """The demo database, open for one test (the CLI tests close it to run the CLI)."""
    db = open_database(demo_path)
    yield demo_path, db
    db.close()


def _pdf_pages(data: bytes) -> tuple[list[str], dict[str, str]]:
    reader = PdfReader(io.BytesIO(data))
    meta = {k: str(v) for k, v in (reader.metadata or {}).items()}
    return [page.extract_text() for page in reader.pages], meta


def _pptx_slides(data: bytes) -> tuple[list[str], str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # every XML part, metadata included
        xml = "\n".join(archive.read(n).decode("utf-8", "replace")
                        for n in archive.namelist() if n.endswith((".xml", ".rels")))
    return _slide_text(data), xml


def _expected(db: Database, ids: list[str]) -> list[tuple[str, str, str]]:
    result = analyze(db, DEMO_DATASET, AnalysisParams())
    rows = result.customers.set_index("customer_id")
    return [(rows.at[i, "customer_name"], formatting.fmt_money(rows.at[i, "value"],
                                                               result.dataset),
             rows.at[i, "abc_xyz"]) for i in ids]


def _check_pages(pages: list[str], expected: list[tuple[str, str, str]]) -> None:
    assert len(pages) == 1 + len(expected)
    for (name, value, klass), text in zip(expected, pages[1:], strict=True):
        assert name in text and value in text and klass in text, (name, value, klass)


def _real_names_and_ids(db: Database) -> list[str]:
    customers = analyze(db, DEMO_DATASET, AnalysisParams()).customers
    return [*customers["customer_name"].dropna().astype(str), *customers["customer_id"]]


def test_cli_pdf_of_all_key_accounts(demo, tmp_path: Path) -> None:
    path, db = demo
    customers = analyze(db, DEMO_DATASET, AnalysisParams()).customers
    keys = customers.loc[customers["key_account"].astype(bool), "customer_id"].tolist()
    expected = _expected(db, keys)
    out = tmp_path / "pack.pdf"
    db.close()  # the CLI opens the file itself
    assert main(["pack", "--db", str(path), "--dataset", DEMO_DATASET, "--out", str(out),
                 "--key", "--paper", "Letter"]) == 0
    pages, meta = _pdf_pages(out.read_bytes())
    _check_pages(pages, expected)
    assert meta["/Title"] == "Account review"


def test_adapter_pptx_with_chosen_accounts_and_dossier(demo) -> None:
    _, db = demo
    ids = analyze(db, DEMO_DATASET, AnalysisParams()).customers["customer_id"].tolist()
    chosen = [ids[5], ids[0], ids[40]]
    save_dossier(db, ids[0], decision_makers=[{"name": "Olga Ivanova", "role": "CFO",
                                               "influence": "decides", "attitude": "supporter"}],
                 next_steps=[{"step": "Send the offer", "owner": "Anna", "due": "2026-02-01"}])
    pack = build_pack(db, DEMO_DATASET, AnalysisParams(), chosen, now=NOW)
    assert [a.header.account_id for a in pack.accounts] == chosen
    slides, _ = _pptx_slides(render_pack(pack, "pptx"))
    _check_pages(slides, _expected(db, chosen))
    assert "Olga Ivanova" in slides[2] and "Send the offer" in slides[2]
    assert fmt_date(date(2026, 2, 1)) in slides[2]  # "Feb 1, 2026" in English


def test_unknown_account_is_refused(demo) -> None:
    with pytest.raises(ValueError, match="no sales in the window"):
        build_pack(demo[1], DEMO_DATASET, AnalysisParams(), ["no such customer"])


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_masked_pack_has_no_real_name_or_id(demo, fmt: str) -> None:
    _, db = demo
    ids = analyze(db, DEMO_DATASET, AnalysisParams()).customers["customer_id"].tolist()
    save_dossier(db, ids[0], general=f"Secret notes on {ids[0]}")
    pack = build_pack(db, DEMO_DATASET, AnalysisParams(), ids[:4], masker=Masker("salt"),
                      now=NOW)
    data = render_pack(pack, fmt)
    if fmt == "pdf":
        pages, meta = _pdf_pages(data)
        text = "\n".join(pages) + "\n" + "\n".join(meta.values())
    else:
        slides, xml = _pptx_slides(data)
        pages, text = slides, "\n".join(slides) + "\n" + xml
    assert len(pages) == 5
    assert "Customer " in pages[1]
    leaks = [s for s in [*_real_names_and_ids(db), DEMO_DATASET, "Secret notes"] if s in text]
    assert not leaks, leaks[:5]


def test_cli_masked_pdf(demo, tmp_path: Path) -> None:
    path, db = demo
    names = _real_names_and_ids(db)
    out = tmp_path / "masked.pdf"
    db.close()
    assert main(["pack", "--db", str(path), "--dataset", DEMO_DATASET, "--out", str(out),
                 "--mask"]) == 0
    pages, meta = _pdf_pages(out.read_bytes())
    text = "\n".join(pages) + "\n".join(meta.values())
    assert not [s for s in names if s in text]


def test_cli_refuses_other_suffixes_and_both_choices(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "x.duckdb")
    assert main(["pack", "--db", db, "--dataset", "x", "--out", "a.docx"]) == 1
    assert main(["pack", "--db", db, "--dataset", "x", "--out", "a.pdf", "--key",
                 "--accounts", "1"]) == 1
    err = capsys.readouterr().err
    assert ".pdf or .pptx" in err and "not both" in err


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_pack_carries_the_churn_figures(demo, fmt: str) -> None:
    _, db = demo
    params = AnalysisParams()
    result = churn(db, DEMO_DATASET, params)
    assert result.fitted
    scored = result.customers.set_index("customer_id")
    ids = analyze(db, DEMO_DATASET, params).customers["customer_id"].tolist()
    lost = (analyze(db, DEMO_DATASET, params).customers.query("lost or at_risk")
            ["customer_id"].tolist())
    chosen = [*ids[:3], *lost[:2]]
    pack = build_pack(db, DEMO_DATASET, params, chosen, now=NOW)
    data = render_pack(pack, fmt)
    pages = _pdf_pages(data)[0] if fmt == "pdf" else _pptx_slides(data)[0]
    assert len(pages) == 1 + len(chosen)
    for customer_id, text in zip(chosen, pages[1:], strict=True):
        alive = pct(scored.at[customer_id, "p_alive"])
        words = label(scored.at[customer_id, "churn_status"])
        # One decimal, as the dossier's metric writes it ("4.3", not "4").
        expected = fmt_decimal(scored.at[customer_id, "expected_purchases_13w"], 1)
        assert f"P(alive): {alive}" in text, (customer_id, alive)
        assert words in ("likely still active", "probably lost") and words in text
        assert expected in text and "Expected purchases, next 13 weeks" in text
    for row in pack.portfolio.lost_at_risk:
        assert row.p_alive.endswith("%") and row.p_alive in pages[0]
    assert "P(alive)" in pages[0]


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_pack_of_a_tiny_dataset_says_the_model_cannot_be_fitted(db: Database,
                                                                 fmt: str) -> None:
    store(db, TINY)
    params = AnalysisParams()
    result = churn(db, "t", params)
    assert not result.fitted and result.message
    customers = analyze(db, "t", params).customers["customer_id"].tolist()
    pack = build_pack(db, "t", params, customers[:1], now=NOW)
    assert pack.accounts[0].rhythm.churn_message == result.message
    data = render_pack(pack, fmt)
    pages = _pdf_pages(data)[0] if fmt == "pdf" else _pptx_slides(data)[0]
    assert len(pages) == 2
    assert result.message in " ".join(pages[1].split())
    assert "P(alive):" not in pages[1]
