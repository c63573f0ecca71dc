"""Every chart in a real browser, on the demo data and on 25,000 customers.

Saves a screenshot of each chart (and of each chart page) to ``tests/artifacts/`` as
``chart_<dataset>_<page>_<n>.png``: look at them after a change to a chart. Also clicks
a cell of the ABC-XYZ heatmap and checks that the cell is selected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kam_analysis.db import open_database
from kam_analysis.db.synthetic import create_synthetic_dataset
from kam_analysis.demo import DEMO_DATASET, load_demo
from tests.test_e2e_browser import (  # noqa: F401 (browser is a fixture)
    ARTIFACTS,
    _browser_page,
    _server,
    _settle,
    browser,
    pytestmark,
    sync_api,
)

BIG = "synthetic_25k"
CHART_PAGES = {"pareto": "Pareto analysis", "concentration": "Concentration and dependency",
               "abc_xyz": "ABC-XYZ analysis", "key_accounts": "Key accounts"}
LAST = {"pareto": "Lorenz curve", "concentration": "Top customers",  # the last heading
        "abc_xyz": "How stable are the classes?", "key_accounts": "Class migration"}


@pytest.fixture(scope="module")
def chart_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose database holds the demo and a synthetic 25,000-customer dataset."""
    work = tmp_path_factory.mktemp("e2e_charts")
    db = open_database(work / "e2e.duckdb")
    load_demo(db, DEMO_DATASET)
    create_synthetic_dataset(db, BIG, rows=240_000, customers=60_000,
                             first_date=date(2024, 1, 1), days=730)
    db.close()
    with _server(work) as url:
        yield url


@pytest.fixture(scope="module")
def chart_page(browser, chart_url: str) -> Iterator[object]:  # noqa: F811
    with _browser_page(browser) as pg:
        yield pg


def _shoot(pg, tag: str, page: str) -> int:
    """Save every chart of the page and the whole page; return the number of charts."""
    charts = pg.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        charts.nth(i).screenshot(path=str(ARTIFACTS / f"chart_{tag}_{page}_{i}.png"))
    pg.screenshot(path=str(ARTIFACTS / f"chart_{tag}_{page}_page.png"), full_page=True)
    return charts.count()


def _visit(pg, url: str, page: str, dataset: str) -> None:
    pg.goto(f"{url}/{page}?dataset={dataset.replace(' ', '+')}")
    pg.get_by_role("heading", name=CHART_PAGES[page]).first.wait_for(timeout=120_000)
    pg.get_by_role("heading", name=LAST[page]).first.wait_for(timeout=120_000)
    _settle(pg)
    pg.wait_for_timeout(500)
    _settle(pg)
    assert pg.locator('[data-testid="stException"]').count() == 0


def _click_cell(pg, index: int) -> None:
    """Click the centre of heatmap cell ``index`` (row-major A..C x X..Z)."""
    chart = pg.locator('[data-testid="stPlotlyChart"]').first
    box = chart.locator(".scatterlayer .point").nth(index).bounding_box()
    assert box is not None
    pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    _settle(pg)


@pytest.mark.parametrize(("tag", "dataset"), [("demo", DEMO_DATASET), ("25k", BIG)])
def test_every_chart_reads(chart_page, chart_url: str, tag: str, dataset: str) -> None:
    pg = chart_page
    drawn = {}
    for page in CHART_PAGES:
        _visit(pg, chart_url, page, dataset)
        drawn[page] = _shoot(pg, tag, page)
    assert drawn["pareto"] == 3 and drawn["concentration"] == 2, drawn
    # A click on the heatmap selects the cell: its customers are listed.
    _visit(pg, chart_url, "abc_xyz", dataset)
    _click_cell(pg, 8)  # CZ
    sync_api.expect(pg.get_by_role("heading", name="Customers in CZ")).to_be_visible()
    _click_cell(pg, 1)  # AY
    sync_api.expect(pg.get_by_role("heading", name="Customers in AY")).to_be_visible()
    pg.locator('[data-testid="stPlotlyChart"]').first.screenshot(
        path=str(ARTIFACTS / f"chart_{tag}_abc_xyz_clicked.png"))
    assert os.path.getsize(ARTIFACTS / f"chart_{tag}_pareto_0.png") > 0
    assert Path(ARTIFACTS).exists()
