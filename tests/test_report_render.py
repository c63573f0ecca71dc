"""The review-meeting pack renders hand-made content to PDF and PPTX that read back."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import fields, replace
from pathlib import Path

import pytest
from pptx import Presentation
from pypdf import PdfReader

from kam_analysis.report import Pack, render_pack
from kam_analysis.report.content import needs_shaping
from kam_analysis.report.sample import LANGUAGES, NOT_FITTED, sample_pack

ARABIC = re.compile("[\u0600-\u06ff]")
MM_TO_PT = 72 / 25.4


def _pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _slide_text(data: bytes) -> list[str]:
    texts = []
    for slide in Presentation(io.BytesIO(data)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        texts.append("\n".join(parts))
    return texts


def _texts(pack: Pack, fmt: str) -> list[str]:
    data = render_pack(pack, fmt, "A4")
    return _pdf_text(data) if fmt == "pdf" else _slide_text(data)


def _meta_strings(pack: Pack) -> set[str]:
    meta = pack.meta
    return {getattr(meta, f.name) for f in fields(meta) if isinstance(getattr(meta, f.name), str)}


@pytest.fixture(scope="module", params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_one_page_per_account_with_name_value_and_class(language: str, fmt: str) -> None:
    pack = sample_pack(language, accounts=3)
    pages = _texts(pack, fmt)
    assert len(pages) == 1 + len(pack.accounts) == pack.page_count
    for account, text in zip(pack.accounts, pages[1:], strict=True):
        assert account.header.name in text
        assert account.figures.value in text
        assert account.figures.abc_xyz in text
    assert all(account.header.name in pages[0] for account in pack.accounts)


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_persian_comes_back_in_persian_script(fmt: str) -> None:
    pack = sample_pack("fa", accounts=3)
    pages = _texts(pack, fmt)
    for account, text in zip(pack.accounts, pages[1:], strict=True):
        assert len(ARABIC.findall(text)) > 50
        assert account.header.name in text
    assert pack.label("key_accounts") in pages[0]


def test_pptx_paragraphs_are_right_to_left_for_persian() -> None:
    deck = Presentation(io.BytesIO(render_pack(sample_pack("fa", 1), "pptx")))
    paragraphs = [p for shape in deck.slides[1].shapes if shape.has_text_frame
                  for p in shape.text_frame.paragraphs]
    assert paragraphs and all(p._p.pPr.get("rtl") == "1" for p in paragraphs)
    tables = [s.table for s in deck.slides[1].shapes if s.has_table]
    assert tables and all(t._tbl.tblPr.get("rtl") == "1" for t in tables)


def test_shaping_only_where_needed() -> None:
    assert needs_shaping(sample_pack("fa", 1))
    assert not needs_shaping(sample_pack("vi", 1))  # precomposed letters need no shaping
    pack = sample_pack("en", 1)
    persian_name = replace(pack.accounts[0].header, name="شرکت پارس")
    assert needs_shaping(replace(pack, accounts=(replace(pack.accounts[0],
                                                         header=persian_name),)))


def test_pdf_metadata_comes_from_the_meta_only() -> None:
    pack = sample_pack("en", accounts=3, masked=True)
    reader = PdfReader(io.BytesIO(render_pack(pack, "pdf")))
    allowed = _meta_strings(pack) | {""}
    values = {k: str(v) for k, v in (reader.metadata or {}).items() if "Date" not in k}
    assert values and set(values.values()) <= allowed, values
    assert reader.metadata.title == pack.meta.title
    assert reader.xmp_metadata is None


def test_pptx_metadata_comes_from_the_meta_only() -> None:
    pack = sample_pack("en", accounts=2, masked=True)
    props = Presentation(io.BytesIO(render_pack(pack, "pptx"))).core_properties
    allowed = _meta_strings(pack) | {""}
    names = ("title", "author", "subject", "keywords", "comments", "category",
             "content_status", "identifier", "language", "last_modified_by", "version")
    values = {name: getattr(props, name) for name in names}
    assert set(values.values()) <= allowed, values
    assert props.title == pack.meta.title


LEAKS = (b"fpdf", b"pptx", b"matplotlib", b"Matplotlib", b"DejaVuSans.ttf", b"image.png",
         b"/tmp", b"/work")


def test_masked_pdf_adds_no_file_or_library_name() -> None:
    data = render_pack(sample_pack("en", accounts=1, masked=True), "pdf")
    assert [leak for leak in LEAKS if leak in data] == []


def test_masked_pptx_adds_no_file_or_library_name() -> None:
    data = render_pack(sample_pack("en", accounts=1, masked=True), "pptx")
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    found = [(name, leak) for name, text in parts.items() for leak in LEAKS if leak in text]
    assert found == []


@pytest.mark.parametrize(("paper", "size_mm"), [("A4", (210, 297)), ("Letter", (215.9, 279.4))])
def test_paper_sizes(paper: str, size_mm: tuple[float, float]) -> None:
    box = PdfReader(io.BytesIO(render_pack(sample_pack("en", 1), "pdf", paper))).pages[1].mediabox
    assert float(box.width) == pytest.approx(size_mm[0] * MM_TO_PT, abs=0.5)
    assert float(box.height) == pytest.approx(size_mm[1] * MM_TO_PT, abs=0.5)


def test_long_lists_are_cut_with_a_more_note_and_stay_on_one_page() -> None:
    pack = sample_pack("en", accounts=30)
    pages = _pdf_text(render_pack(pack, "pdf", "Letter"))
    assert len(pages) == 31
    assert "more" in pages[0] and "more" in pages[1]


def test_writes_to_path_and_stream_and_reports_progress(tmp_path: Path) -> None:
    pack = sample_pack("az", accounts=2)
    seen: list[float] = []
    target = tmp_path / "pack.pptx"
    data = render_pack(pack, "pptx", out=target, progress=seen.append)
    assert target.read_bytes() == data
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])
    stream = io.BytesIO()
    render_pack(pack, "pdf", "Letter", out=stream)
    assert stream.getvalue().startswith(b"%PDF")


def test_rejects_unknown_format_and_paper() -> None:
    with pytest.raises(ValueError):
        render_pack(sample_pack("en", 1), "docx")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render_pack(sample_pack("en", 1), "pdf", "A5")  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_churn_figures_or_the_reason_on_every_account_page(fmt: str) -> None:
    pack = sample_pack("en", accounts=3)  # the third account: the model was not fitted
    pages = _texts(pack, fmt)
    assert len(pages) == 4
    for page, text in zip(pack.accounts, pages[1:], strict=True):
        rhythm = page.rhythm
        if rhythm.churn_message:
            assert NOT_FITTED in " ".join(text.split()) and "P(alive):" not in text
        else:
            assert f"P(alive): {rhythm.p_alive}" in text
            assert f"Status: {rhythm.status} · likely still active" in text
            assert f"Expected purchases, next 13 weeks: {rhythm.expected_13w}" in text
    assert "P(alive)" in pages[0]
    for row in pack.portfolio.lost_at_risk:
        assert row.p_alive in pages[0]


def test_class_history_line_joins_quarters_of_the_same_class() -> None:
    from dataclasses import replace

    from kam_analysis.report.content import class_history_line

    pack = sample_pack("en", accounts=1)
    page = pack.accounts[0]
    quarters = (("Q1 2025", "B"), ("Q2 2025", "A"), ("Q3 2025", "A"), ("Q4 2025", "A"),
                ("Q1 2026", "B"))
    page = replace(page, figures=replace(page.figures, class_history=quarters))
    line = class_history_line(page, pack)
    assert line.endswith(": Q1 2025: B · Q2 2025 – Q4 2025: A · Q1 2026: B")
    single = replace(page, figures=replace(page.figures, class_history=(("Q1 2025", "C"),)))
    assert class_history_line(single, pack).endswith(": Q1 2025: C")
    empty = replace(page, figures=replace(page.figures, class_history=()))
    assert class_history_line(empty, pack) == ""


def test_monthly_chart_writes_the_packs_own_tick_labels() -> None:
    from dataclasses import replace

    from kam_analysis.report.charts import MonthlyChart
    from kam_analysis.report.model import MonthlySeries

    chart = MonthlyChart("this", "before")
    series = MonthlySeries(labels=("a", "b"), current=(0.4, 1.9), previous=(None, 1.0),
                           ticks=((0.0, "0"), (1.0, "1 млн"), (2.0, "2 млн")))
    chart.image(series)
    assert [label.get_text() for label in chart.axes.get_yticklabels()] == ["0", "1 млн",
                                                                            "2 млн"]
    chart.image(replace(series, ticks=()))  # the same chart, an account without its ticks
    shown = [label.get_text() for label in chart.axes.get_yticklabels()]
    assert "1 млн" not in shown and "1" in shown


def test_pptx_figure_values_fit_their_boxes() -> None:
    """A word value in a narrow figure box gets a smaller font instead of running into
    the next box ("нет данных" twice read "нет данныхнет данных")."""
    pack = sample_pack("en", 1)
    page = pack.accounts[0]
    words = replace(page.figures, change_previous="нет данных", change_year="нет данных")
    pack = replace(pack, accounts=(replace(page, figures=words),))
    deck = Presentation(io.BytesIO(render_pack(pack, "pptx")))
    runs = [(run.text, run.font.size.pt, shape.width.inches)
            for shape in deck.slides[1].shapes if shape.has_text_frame
            for p in shape.text_frame.paragraphs for run in p.runs]
    for text, size, width in (r for r in runs if r[0] == "нет данных"):
        # Bold letters about 0.57 em wide, 0.1 in of margin each side.
        assert len(text) * size * 0.57 / 72 <= width - 0.2, (size, width)
    assert sum(r[0] == "нет данных" for r in runs) == 2
