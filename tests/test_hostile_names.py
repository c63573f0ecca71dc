"""Names that come from data stay text: Markdown, Streamlit directives, math and HTML in
customer, region, manager and dataset names are never interpreted on any page.

A dataset is imported whose customers, regions and managers are named with links,
images, colour directives, math and HTML; every page is walked with AppTest and every
element that Streamlit renders as Markdown (markdown, captions, alerts, metric help
tooltips, toasts, expander and status labels) is checked for a live construct built
from the data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.db import Database, open_database
from kam_analysis.importing import import_file
from ui import formatting

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")

BEACON = "![beacon](http://host.invalid/b.png)"
PHISH = "[Session expired - sign in again](http://host.invalid/phish)"
HOSTILE = [
    BEACON,
    PHISH,
    ":red[ALERT]",
    "<img src=x onerror=alert(1)>",
    "$x^2$ and $y$",
    "**bold** _it_ `code` # head <b>b</b>",
    '<a href="http://host.invalid/p">x</a>',
    ":material/warning: :smile:",
]
DATASET = ":red[DS] [ds](http://host.invalid/ds)"
PAGES = ["overview", "abc_xyz", "pareto", "concentration", "key_accounts", "dossier", "data"]

#: What a rendered construct built from the data would look like, once every escaped
#: character (backslash + the character) is taken out.
_LIVE = re.compile(r"\]\(http://host|!\[beacon|:red\[(?:ALERT|DS)|<img|<a |\$x\^2\$|"
                   r":material/warning: :smile|\*\*bold\*\*|`code`")
_ESCAPED = re.compile(r"\\.", re.S)


def _live(text: str) -> list[str]:
    return _LIVE.findall(_ESCAPED.sub("·", text or ""))


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "app.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAM_DB", str(path))
        db = open_database(path)
        lines = ["customer_id;customer_name;order_date;revenue;region;manager"]
        for i in range(120):
            name = BEACON if i % 40 == 0 else HOSTILE[i % len(HOSTILE)]
            amount = 50_000 if i == 0 else 100 + (i * 37) % 900
            day = 1 + i % 28
            month = 1 + (i * 5) % 12
            lines.append(f"C{i % 40};{name};{day:02d}.{month:02d}.2025;{amount};"
                         f"{HOSTILE[(i + 1) % len(HOSTILE)]};{HOSTILE[(i + 2) % len(HOSTILE)]}")
        # one bad row whose amount is a hostile name (its reject reason quotes it)
        lines.append(f"C1;x;01.01.2025;{PHISH};North;M")
        csv = folder / "hostile.csv"
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        import_file(db, csv, DATASET)
        db.close()
        yield open_database(path)


def _markdown_texts(at: AppTest) -> list[str]:
    texts: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "toast"):
        texts += [str(e.value) for e in at.get(kind)]
    texts += [str(m.help or "") for m in at.metric]
    texts += [str(m.label) for m in at.metric]
    texts += [str(e.label) for e in at.get("expander")]
    texts += [str(e.label) for e in at.get("status")]
    return texts


@pytest.mark.usefixtures("navigation_mode")
@pytest.mark.parametrize("page", PAGES)
def test_no_page_renders_markdown_from_data(hostile_db: Database, page: str) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["dataset"] = DATASET
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["sb_dataset"] == DATASET
    live = {text: _live(text) for text in _markdown_texts(at) if _live(text)}
    assert not live, live
    for chart in at.get("plotly_chart"):  # Plotly reads <a href>, <b>... in its texts
        spec = json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)
        assert "<img" not in spec and "<a " not in spec and "<b>" not in spec
    if page == "concentration":  # the largest customer is named in its caption and tooltip
        shown = [c.value for c in at.caption] + [m.help or "" for m in at.metric]
        assert any(formatting.md_text(BEACON) in s for s in shown), shown


@pytest.mark.parametrize("raw", [*HOSTILE, DATASET, "a\\b", "line\n# head", "  indented"])
def test_md_text_escapes_every_construct(raw: str) -> None:
    shown = formatting.md_text(raw)
    assert not _live(shown)
    assert "\n" not in shown
    # Taking out the escapes gives the text back (newlines as spaces).
    assert re.sub(r"\\(.)", r"\1", shown) == " ".join(raw.split())
