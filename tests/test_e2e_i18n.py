"""The interface in other languages, in a real browser (Debian's Chromium, Playwright).

Opens the app with ``?lang=fa`` and ``?lang=ru``, visits every page through the
sidebar's (translated) navigation, checks the page's direction (right to left for
Persian) and that the Persian font is served, and saves small screenshots to
``tests/artifacts/i18n_<lang>_<page>.png`` (the Overview also to
``docs/images/lang_<lang>.png``). A German session open at the same time stays
German. Texts are checked against the catalogues (``t()`` under ``language()``),
not against hard-coded words, so the test holds while translations are filled in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kam_analysis.i18n import language, t
from tests.test_e2e_browser import (
    ARTIFACTS,
    CHROMIUM,
    ROOT,
    _no_exception,
    _server,
    _settle,
)
from tests.test_e2e_browser import browser as chromium_fixture
from ui.navigation import SECTIONS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]

sync_api = pytest.importorskip("playwright.sync_api")

DOCS_IMAGES = ROOT / "docs" / "images"
VIEWPORT = {"width": 1280, "height": 800}
#: Every registered page: (file stem, English navigation title).
PAGES = [(stem, title) for entries in SECTIONS.values() for stem, title, _ in entries]
DIRECTION = "getComputedStyle(document.querySelector('[data-testid=\"stMain\"]')).direction"


IDLE = """() => {
    const status = document.querySelector('[data-testid="stStatusWidget"]');
    const busy = status && /Running|Stop/.test(status.innerText);
    return !busy && !document.querySelector('[data-testid="stSkeleton"]')
        && !document.querySelector('[data-stale="true"]');
}"""


def _idle(pg) -> None:
    """Wait until the run has finished: no status, no skeletons, no stale elements, and
    every chart drawn (the status shows "Stop" rather than "Running" in a narrow view)."""
    pg.wait_for_timeout(500)
    pg.wait_for_function(IDLE, timeout=90_000)
    _settle(pg)
    pg.wait_for_function(IDLE, timeout=90_000)


def _title(lang: str, english: str) -> str:
    with language(lang):
        return t(english)


@contextlib.contextmanager
def _session(chromium, url: str, lang: str) -> Iterator[object]:
    """A page in its own browser context (its own app session) opened with ``?lang=``."""
    context = chromium.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        pg.goto(f"{url}/?lang={lang}")
        pg.get_by_role("heading", name=_title(lang, "Overview")).first.wait_for()
        _idle(pg)
        yield pg
    finally:
        context.close()


def _visit(pg, lang: str, title: str) -> None:
    """Open a page through the sidebar's navigation by its title in ``lang``."""
    nav = pg.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name=_title(lang, title), exact=True).click()
    _idle(pg)


def _small_png(path: Path) -> None:
    """Shrink a screenshot: 256 colours, optimised PNG."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)


browser = chromium_fixture  # the module's Debian Chromium (tests/test_e2e_browser.py)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _server(tmp_path_factory.mktemp("e2e_i18n")) as url:  # the demo dataset loads
        yield url


#: The icons (elements whose test id names an icon) drawn in a font that is not an icon font.
ICON_FONTS = """() => [...document.querySelectorAll('[data-testid*="Icon"]')]
    .filter(e => e.childElementCount === 0 && e.textContent.trim()
                 && !/Material/.test(getComputedStyle(e).fontFamily))
    .map(e => e.getAttribute('data-testid') + ': ' + e.textContent)"""


def test_persian_and_russian_every_page_while_german_stays(browser, app_url: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    with _session(browser, app_url, "de") as german:
        for lang, direction in (("fa", "rtl"), ("ru", "ltr")):
            with _session(browser, app_url, lang) as pg:
                assert pg.evaluate(DIRECTION) == direction
                assert f"lang={lang}" in pg.url
                docs = DOCS_IMAGES / f"lang_{lang}.png"
                pg.screenshot(path=str(docs))
                _small_png(docs)
                if lang == "fa":  # the Persian font is served by the app itself
                    assert pg.evaluate("document.fonts.load('16px KamPersian', 'ب')"
                                       ".then(f => f.length)") > 0
                for stem, title in PAGES:
                    if stem != "overview":
                        _visit(pg, lang, title)
                    _no_exception(pg)
                    assert pg.evaluate(DIRECTION) == direction, (lang, stem)
                    # Icons keep their icon font (the dossier's expander once showed its
                    # icon's name, "picture_as_pdf", in the Persian font).
                    assert pg.evaluate(ICON_FONTS) == [], (lang, stem)
                    shot = ARTIFACTS / f"i18n_{lang}_{stem}.png"
                    pg.screenshot(path=str(shot))
                    _small_png(shot)
            # The German session, open all along, still speaks German.
            _visit(german, "de", "Concentration")
            nav = german.locator('[data-testid="stSidebarNav"]')
            sync_api.expect(nav).to_contain_text(_title("de", "Account dossier"))
            german.get_by_role("heading",
                               name=_title("de", "Concentration and dependency")).wait_for()
            assert german.evaluate(DIRECTION) == "ltr"
            assert "lang=de" in german.url


@pytest.mark.parametrize("lang", ["en", "de", "az", "vi"])
def test_the_overview_in_the_other_languages(browser, app_url: str, lang: str) -> None:
    """The Overview in each remaining language (screenshots for the docs): left to right,
    its title and navigation in that language."""
    with _session(browser, app_url, lang) as pg:
        _no_exception(pg)
        assert pg.evaluate(DIRECTION) == "ltr"
        sync_api.expect(pg.locator('[data-testid="stSidebarNav"]')).to_contain_text(
            _title(lang, "Account dossier"))
        docs = DOCS_IMAGES / f"lang_{lang}.png"
        pg.screenshot(path=str(docs))
        _small_png(docs)
