"""End to end in a real browser: Debian's Chromium driven by Playwright.

Starts the app on a free local port with its own database, uploads a CSV on the
Data page, visits every page, changes an ABC limit, downloads the XLSX workbook
and opens it with openpyxl. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]

sync_api = pytest.importorskip("playwright.sync_api")

PAGES = {  # navigation label -> a heading the page shows
    "Overview": "Overview",
    "ABC-XYZ": "ABC-XYZ analysis",
    "Pareto": "Pareto",
    "Concentration": "Concentration",
    "Key accounts": "Key accounts",
    "Account dossier": "Account dossier",
    "Data": "Data",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sales_csv(path: Path) -> None:
    """A German-style ERP export: preamble, semicolons, decimal commas, a totals row."""
    lines = ["Umsatzliste 2025;;;", ";;;", "Kundennummer;Kunde;Rechnungsdatum;Umsatz"]
    total = 0.0
    for month in range(1, 13):
        for i, (cid, name) in enumerate([("00017", "Großkunde AG"), ("00042", "Mittel GmbH"),
                                         ("00105", "Klein KG"), ("00230", "Selten OHG")]):
            if cid == "00230" and month % 4:
                continue
            amount = (4000, 1500, 400, 900)[i] + month * 10
            total += amount
            euro = f"{amount:.2f}".replace(".", ",")
            lines.append(f"{cid};{name};{month * 2:02d}.{month:02d}.2025;{euro}")
    lines.append(f";Summe;;{total:.2f}".replace(".", ","))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _server(work: Path, secrets: str | None = None) -> Iterator[str]:
    """Start the app on a free local port with its own database in ``work`` (and the
    secrets file ``secrets`` written into ``work`` when given)."""
    port = _free_port()
    env = {**os.environ, "KAM_DB": str(work / "e2e.duckdb")}
    log = (work / "streamlit.log").open("w")
    extra: list[str] = []
    if secrets is not None:
        (work / "secrets.toml").write_text(secrets, encoding="utf-8")
        extra = ["--secrets.files", str(work / "secrets.toml")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", *extra],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the app did not start: " + (work / "streamlit.log").read_text()[-2000:])
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless Chromium, one per test module."""
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def _browser_page(browser) -> Iterator[object]:
    """A page in a fresh browser context (its own cookies, so its own app session)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _server(tmp_path_factory.mktemp("e2e")) as url:
        yield url


@pytest.fixture(scope="module")
def page(browser, app_url: str) -> Iterator[object]:
    with _browser_page(browser) as pg:
        yield pg


def _settle(pg) -> None:
    """Wait until Streamlit has finished the current run."""
    pg.wait_for_selector('[data-testid="stApp"]')
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText"
        ".includes('Running')", timeout=60_000)
    # Charts draw after the run: wait until every plotly chart has its SVG.
    pg.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
        ".every(c => c.querySelector('.main-svg'))", timeout=30_000)
    pg.wait_for_timeout(300)


def _open(pg, nav: str, heading: str) -> None:
    """Go to a page through the sidebar navigation (same session) and wait for it."""
    pg.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=nav, exact=True).click()
    pg.get_by_role("heading", name=heading).first.wait_for()
    _settle(pg)


def _choose(pg, label: str, option: str) -> None:
    """Pick ``option`` in the (first) selectbox labelled ``label``.

    The list opens on a click once the widget is interactive; an expander that
    is still opening can swallow the first click, so open it again if needed.
    """
    combo = pg.get_by_role("combobox", name=label).first
    combo.wait_for(state="visible")
    for _ in range(5):
        combo.click()
        choice = pg.get_by_role("option", name=option)
        try:
            choice.wait_for(state="visible", timeout=3_000)
        except sync_api.TimeoutError:
            pg.keyboard.press("Escape")
            continue
        choice.click()
        break
    sync_api.expect(combo).to_have_value(option)


def _assert_dataset(pg) -> None:
    """The imported dataset is the chosen one: in the URL and in the sidebar's window."""
    sync_api.expect(pg).to_have_url(re.compile(r"[?&]dataset=umsatz_2025"))
    sync_api.expect(pg.locator('[data-testid="stSidebar"]')).to_contain_text("Jan 2, 2025")


def _no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in pg.inner_text("body")


def test_upload_visit_every_page_change_limit_download(page, app_url: str, tmp_path) -> None:
    pg = page
    pg.goto(app_url)
    pg.get_by_role("heading", name="Overview").first.wait_for()
    _settle(pg)
    _no_exception(pg)

    # Upload a CSV on the Data page and import it.
    csv = tmp_path / "umsatz_2025.csv"
    _sales_csv(csv)
    pg.goto(f"{app_url}/data")
    pg.get_by_role("heading", name="Import sales transactions").wait_for()
    pg.locator('[data-testid="stFileUploaderDropzone"] input[type="file"]').set_input_files(
        str(csv))
    pg.get_by_role("button", name="Import", exact=True).wait_for()
    _settle(pg)
    pg.screenshot(path=str(ARTIFACTS / "data_preview.png"), full_page=True)
    pg.get_by_role("button", name="Import", exact=True).click()
    pg.get_by_text("Last import: umsatz_2025").wait_for()
    _settle(pg)
    sync_api.expect(pg.get_by_text("Rows imported")).to_be_visible()
    pg.screenshot(path=str(ARTIFACTS / "data_imported.png"), full_page=True)
    _no_exception(pg)

    # Every page, reached through the sidebar, shows the imported dataset and no exception.
    for nav, heading in PAGES.items():
        _open(pg, nav, heading)
        _no_exception(pg)
        _assert_dataset(pg)
        pg.screenshot(path=str(ARTIFACTS / f"page_{nav.lower().replace(' ', '_')}.png"),
                      full_page=True)

    # A browser refresh keeps the choices (they live in the URL's query parameters).
    pg.reload()
    pg.get_by_role("heading", name="Data").first.wait_for()
    _settle(pg)
    _assert_dataset(pg)

    # Change the ABC limits to the 70/90 preset and apply.
    _open(pg, "ABC-XYZ", "ABC-XYZ analysis")
    pg.get_by_text("Limits", exact=True).click()
    _choose(pg, "Preset", "70/90")
    pg.get_by_role("button", name="Apply limits").click()
    _settle(pg)
    _no_exception(pg)
    # The sensitivity check now moves the A limit around 70 % instead of 80 %.
    sync_api.expect(pg.get_by_text("65.0% or 75.0%", exact=False)).to_be_visible()
    pg.screenshot(path=str(ARTIFACTS / "abc_xyz_70_90.png"), full_page=True)

    # Download the XLSX workbook from the Key accounts page and open it.
    _open(pg, "Key accounts", "Key accounts")
    with pg.expect_download() as info:
        pg.get_by_role("button", name="Full workbook (XLSX)").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[:5] == ["Key accounts", "All customers", "ABC-XYZ matrix",
                                   "Concentration", "Parameters"]
    ids = {str(row[0].value) for row in book["All customers"].iter_rows(min_row=2)}
    assert {"00017", "00042", "00105", "00230"} <= ids


def test_a_bookmarked_page_opened_first_goes_through_the_app(
    browser, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The first request of a fresh server opens a page URL directly (a bookmark):
    the page comes through app.py - its page registry, the shared sidebar and the
    wide layout - and never as the old file-based page list of the pages folder."""
    with _server(tmp_path_factory.mktemp("e2e_first")) as url, _browser_page(browser) as pg:
        pg.goto(f"{url}/concentration")
        pg.get_by_role("heading", name="Concentration").first.wait_for(timeout=120_000)
        wait = {"timeout": 60_000}  # a fresh server loads the demo data first
        nav = pg.locator('[data-testid="stSidebarNav"]')
        sync_api.expect(nav.get_by_role("link")).to_have_count(len(PAGES), **wait)
        links = [text.strip().splitlines()[-1]  # the link text after its icon
                 for text in nav.get_by_role("link").all_inner_texts()]
        assert links == list(PAGES), links  # app.py's registry, not app / ui / abc xyz ...
        sync_api.expect(nav).to_contain_text("Analysis")  # the registry's sections
        sidebar = pg.locator('[data-testid="stSidebar"]')
        sync_api.expect(sidebar.get_by_role("combobox", name="Dataset")).to_have_value(
            "Demo wholesale", **wait)
        sync_api.expect(sidebar.get_by_text("Mask customer names")).to_be_visible(**wait)
        sync_api.expect(pg).to_have_url(re.compile(r"/concentration\?.*dataset=Demo"), **wait)
        main = pg.locator('[data-testid="stMainBlockContainer"]').bounding_box()
        assert main is not None and main["width"] > 1000, main  # layout="wide" (app.py)
        _no_exception(pg)
        pg.screenshot(path=str(ARTIFACTS / "first_request_concentration.png"), full_page=True)


@pytest.mark.parametrize("path", ["", "/concentration"])
def test_the_first_request_before_sign_in_lists_only_registered_pages(
    browser, tmp_path_factory: pytest.TempPathFactory, path: str,
) -> None:
    """A fresh server in password mode: the sign-in form of the very first request lists
    no file-based page (app, ui, abc xyz...): the sidebar's page list, if any, is the
    registry's."""
    from kam_analysis.passwords import hash_password

    secrets = f'[auth]\npassword_hash = "{hash_password("a long team password", n=2**10)}"\n'
    work = tmp_path_factory.mktemp("e2e_signin")
    with _server(work, secrets) as url, _browser_page(browser) as pg:
        pg.goto(f"{url}{path}")
        pg.get_by_label("Password").first.wait_for(timeout=120_000)
        _settle(pg)
        nav = pg.locator('[data-testid="stSidebarNav"]')
        links = [text.strip().splitlines()[-1]
                 for text in nav.get_by_role("link").all_inner_texts()]
        assert links in ([], list(PAGES)), links
        assert not {"app", "ui", "abc xyz", "key accounts"} & {x.lower() for x in links}
        pg.screenshot(path=str(ARTIFACTS / f"first_request_sign_in{path.replace('/', '_')}.png"),
                      full_page=True)
