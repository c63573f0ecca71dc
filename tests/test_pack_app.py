"""The "Review pack" sections of the Key accounts and Account dossier pages."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.analysis import AnalysisParams, analyze
from kam_analysis.db import Database
from kam_analysis.demo import DEMO_DATASET
from tests.test_pages import APP, TIMEOUT

pytestmark = pytest.mark.usefixtures("navigation_mode")


def _page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT * 4)
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _downloads(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


def test_key_accounts_page_builds_a_pack_of_chosen_accounts(app_db: Database) -> None:
    at = _page("key_accounts")
    ids = analyze(app_db, DEMO_DATASET, AnalysisParams()).customers["customer_id"].tolist()
    at.multiselect(key="ka_pack_ids").set_value([ids[0], ids[2]]).run()
    at.radio(key="ka_pack_paper").set_value("Letter")
    next(b for b in at.button if b.label == "Build review pack").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Download the review pack (2 account pages)" in _downloads(at)
    at.radio(key="ka_pack_format").set_value("pptx").run()  # another choice: build again
    assert not any(label.startswith("Download the review pack") for label in _downloads(at))


def test_dossier_page_builds_this_accounts_pack(app_db: Database) -> None:
    at = _page("dossier")
    at.radio(key="dos_pack_format").set_value("pptx")
    next(b for b in at.button if b.label == "Build review pack").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Download the review pack (1 account page)" in _downloads(at)
