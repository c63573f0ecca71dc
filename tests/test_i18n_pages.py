"""Every page in each of the six languages (issue 11): no English text left (other than
data, codes and units), no text missing from the catalogue, figures in the locale's format."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from kam_analysis import i18n
from kam_analysis.db import Database
from kam_analysis.i18n import LANGUAGES, catalogue_path, language, t
from tests.conftest import APP, APP_TIMEOUT

PAGES = ("overview", "abc_xyz", "pareto", "concentration", "key_accounts", "dossier", "data")
TRANSLATED = [code for code in LANGUAGES if code != i18n.DEFAULT_LANGUAGE]
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_WORD = re.compile(r"[A-Za-z]{3,}")


def _english_leftovers(code: str) -> tuple[set[str], list[str]]:
    """The English texts that must not appear in ``code``: whole labels (shown alone) and
    sentence pieces of at least four words (found inside longer texts)."""
    with catalogue_path(code).open("rb") as handle:
        catalogue = read_po(handle, locale=code)
    labels: set[str] = set()
    pieces: list[str] = []
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not ids[0] or ids[0] in strings:  # the same in both languages (codes, names)
            continue
        for text in ids:
            if not _PLACEHOLDER.search(text) and _WORD.search(text):
                labels.add(text.strip())
            for piece in _PLACEHOLDER.split(text):
                piece = piece.strip(" .,:;()-–")
                if len(piece.split()) >= 4:
                    pieces.append(piece)
    return labels, pieces


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}"):  # a chart's JSON spec
            try:
                yield from _strings(json.loads(value))
                return
            except ValueError:
                pass
        yield value
    elif isinstance(value, dict) and set(value) == {"value", "label"}:
        yield from _strings(value["label"])  # a select option: its code and its shown label
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in {"id", "key", "formId", "icon", "data", "arrowData", "useContainerWidth",
                           "pageScriptHash", "url", "src", "fragmentId"}:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _shown_texts(at: AppTest) -> set[str]:
    """Every text of the page and the sidebar: element protos, chart specs, table headers."""
    texts: set[str] = set()

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.update(s.strip() for s in _strings(MessageToDict(proto)) if s.strip())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    for frame in at.dataframe:
        texts.update(str(c) for c in frame.value.columns)
    return texts


def _open(code: str, page: str) -> AppTest:
    """Open ``page`` with ``?lang=code``. The test's own thread uses the same language:
    AppTest calls the widgets' ``format_func`` (``t``) here, outside the script's run."""
    with language(code):
        at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
        at.query_params["lang"] = code
        at.run()
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_page_shows_no_english(code: str, app_db: Database) -> None:
    labels, pieces = _english_leftovers(code)
    i18n.forget_missing()
    left: dict[str, set[str]] = {}
    for page in PAGES:
        for text in _shown_texts(_open(code, page)):
            found = {text} if text in labels else {p for p in pieces if p in text}
            if found:
                left.setdefault(page, set()).update(found)
    assert left == {}, "\n".join(f"{page}: {sorted(texts)}" for page, texts in left.items())
    missing = {text for lang, text in i18n.missing_texts() if lang == code}
    assert missing == set(), sorted(missing)[:40]


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_navigation_and_the_address_follow_the_language(code: str, app_db: Database
                                                             ) -> None:
    at = _open(code, "overview")
    with language(code):
        assert at.title[0].value == t("Overview") or any(
            h.value == t("Overview") for h in at.header)
    assert at.query_params["lang"] == code
    assert at.sidebar.selectbox(key="sb_language_select").value == code


def test_a_second_session_keeps_its_own_language(app_db: Database) -> None:
    german = _open("de", "overview")
    russian = _open("ru", "overview")
    with language("de"):
        german.run()
        assert german.title[0].value == t("Overview")
    with language("ru"):
        assert russian.title[0].value == t("Overview")


def test_choosing_a_language_in_the_sidebar_switches_this_session(app_db: Database) -> None:
    at = _open("en", "overview")
    at.sidebar.selectbox(key="sb_language_select").set_value("vi").run()
    with language("vi"):
        at.run()
        assert at.title[0].value == t("Overview")
    assert at.query_params["lang"] == "vi"


def test_the_demo_page_figures_use_the_locale(app_db: Database) -> None:
    """The Overview's HHI metric is the engine's HHI in the locale's format."""
    from kam_analysis.analysis import analyze
    from kam_analysis.demo import DEMO_DATASET
    from kam_analysis.formatting import fmt_number

    hhi = analyze(app_db, DEMO_DATASET).concentration.hhi
    for code in ("de", "fa"):
        at = _open(code, "overview")
        with language(code):
            shown = {m.label: m.value for m in at.metric}
            assert shown[t("HHI")] == fmt_number(hhi)


def test_the_measure_reads_as_a_word_of_the_sentence(app_db: Database) -> None:
    """The Overview's summary names the measure inside its sentences: lower case in
    Russian, with its capital in German (a noun)."""
    for code, words in (("de", "der Kennzahl Umsatz"), ("ru", "«выручка»")):
        text = " ".join(m.value for m in _open(code, "overview").markdown)
        assert words in text, code


def test_page_files_exist() -> None:
    root = Path(APP).parent / "pages"
    assert {p.stem for p in root.glob("*.py")} == set(PAGES)
