"""The pack as a PowerPoint deck: one 16:9 slide per page, text as text boxes and
tables, the monthly chart as a picture.

16:9 because review meetings show the pack on a screen or a projector, which are wide
today, and a wide slide holds the account page as two columns (figures and chart on
the left, dossier on the right) at a readable size. PowerPoint cannot measure text here,
so lines and cells are cut by an estimate of the characters that fit (with an
ellipsis), and lists stop at a fixed row count with a "+N more" row.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from copy import deepcopy
from functools import lru_cache

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import BaseOxmlElement, OxmlElement
from pptx.slide import Slide
from pptx.table import _Cell
from pptx.text.text import _Paragraph
from pptx.util import Emu, Inches

from kam_analysis.report import content
from kam_analysis.report.charts import MonthlyChart
from kam_analysis.report.content import Table, clip
from kam_analysis.report.model import AccountPage, Pack

SLIDE_W, SLIDE_H = 13.333, 7.5
MARGIN = 0.4
ROW_H = 0.24
CONTENT_BOTTOM = SLIDE_H - 0.45
FONT = "Arial"
INK, GREY, ACCENT = RGBColor(20, 24, 28), RGBColor(96, 104, 112), RGBColor(31, 78, 121)
HEADER_FILL, ROW_FILL = RGBColor(234, 239, 244), RGBColor(255, 255, 255)
CHART_W, CHART_H = 7.4, 2.0
ELLIPSIS = "\u2026"


@lru_cache(maxsize=64)
def _fill(colour: str) -> BaseOxmlElement:
    fill = OxmlElement("a:solidFill")
    fill.append(OxmlElement("a:srgbClr"))
    fill[0].set("val", colour)
    return fill


@lru_cache(maxsize=64)
def _run_properties(size: float, bold: bool, colour: str) -> BaseOxmlElement:
    """An ``a:rPr`` with size, weight, colour and the font for Latin and complex scripts."""
    r_pr = OxmlElement("a:rPr")
    r_pr.set("sz", str(int(size * 100)))
    r_pr.set("b", "1" if bold else "0")
    r_pr.append(deepcopy(_fill(colour)))
    for tag in ("a:latin", "a:cs"):  # a:cs is the font of Persian and Arabic runs
        font = OxmlElement(tag)
        font.set("typeface", FONT)
        r_pr.append(font)
    return r_pr


def chars_for(width_in: float, size: float) -> int:
    """Characters of average width that fit ``width_in`` inches at ``size`` points."""
    return max(int(width_in * 72 / (size * 0.52)), 4)


def cut(text: str, chars: int) -> str:
    """``text`` on one line, cut to ``chars`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rstrip() + ELLIPSIS


class _Deck:
    """A presentation being built, with the pack's direction and captions."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.rtl = pack.meta.right_to_left
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
        self.blank = self.prs.slide_layouts[6]

    def split(self, x: float, total: float, first_w: float, gap: float) -> tuple[float, float]:
        """Left edges of two side-by-side parts: the first on the reading side."""
        if self.rtl:
            return x + total - first_w, x
        return x, x + first_w + gap

    def _paragraph_style(self, paragraph: _Paragraph, size: float, bold: bool,
                         colour: RGBColor) -> None:
        # lxml copies of a cached run-property element: python-pptx's font setters cost
        # about 10 ms per run, which made a 50-account deck take most of a minute.
        p_pr = paragraph._p.get_or_add_pPr()
        p_pr.set("algn", "r" if self.rtl else "l")
        if self.rtl:
            p_pr.set("rtl", "1")
        template = _run_properties(size, bold, str(colour))
        for run in paragraph.runs:
            old = run._r.find(qn("a:rPr"))
            if old is not None:
                run._r.remove(old)
            run._r.insert(0, deepcopy(template))

    def text(self, slide: Slide, lines: tuple[str, ...], x: float, y: float, w: float,
             size: float = 10, bold: bool = False, colour: RGBColor = INK,
             wrap: bool = False) -> float:
        """Add a text box of ``lines`` (one paragraph each); return the y below it."""
        lines = tuple(line for line in lines if line)
        if not lines:
            return y
        line_h = size * 1.25 / 72
        h = line_h * len(lines) + 0.06
        box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        frame = box.text_frame
        frame.word_wrap = wrap
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.margin_left = frame.margin_right = Inches(0.03)
        frame.margin_top = frame.margin_bottom = Inches(0.01)
        for index, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            paragraph.text = line
            self._paragraph_style(paragraph, size, bold, colour)
        return y + h

    def wrapped(self, slide: Slide, text: str, x: float, y: float, w: float, max_lines: int,
                size: float = 9) -> float:
        """Add ``text`` cut to about ``max_lines`` wrapped lines; return the y below."""
        per_line = chars_for(w, size)
        lines = max(min(max_lines, -(-(len(text) + 2) // per_line)), 1)  # 2: the cut's slack
        self.text(slide, (cut(text, per_line * lines - 2),), x, y, w, size=size, wrap=True)
        return y + lines * size * 1.25 / 72 + 0.06

    def heading(self, slide: Slide, title: str, x: float, y: float, w: float) -> float:
        """A section heading; return the y below it."""
        return self.text(slide, (cut(title, chars_for(w, 11)),), x, y, w, size=11, bold=True,
                         colour=ACCENT)

    def table(self, slide: Slide, table: Table, x: float, y: float, w: float,
              limit: int, size: float = 9) -> float:
        """Add a titled table of at most ``limit`` rows ("+N more" in the last); return y."""
        lab = self.pack.label
        room = int((CONTENT_BOTTOM - y - 0.25) / ROW_H) - 1  # rows under heading and header
        if room < 1:
            return y
        limit = min(limit, room)
        y = self.heading(slide, table.title, x, y, w)
        if not table.rows:
            return self.text(slide, (lab("none"),), x, y, w, size=size)
        shown, hidden = clip(table.rows, min(limit, table.limit))
        if hidden:
            shown, hidden = clip(table.rows, min(limit, table.limit) - 1)
        rows = [table.headers, *shown]
        if hidden:
            rows.append((lab("more", n=hidden), *[""] * (len(table.headers) - 1)))
        shape = slide.shapes.add_table(len(rows), len(table.headers), Inches(x), Inches(y),
                                       Inches(w), Inches(ROW_H * len(rows)))
        grid = shape.table
        if self.rtl:
            grid._tbl.tblPr.set("rtl", "1")
        widths = [w * part / sum(table.widths) for part in table.widths]
        for column, width in enumerate(widths):
            grid.columns[column].width = Emu(int(Inches(width)))
        for r, row in enumerate(rows):
            grid.rows[r].height = Emu(int(Inches(ROW_H)))
            for c, value in enumerate(row):
                self._cell(grid.cell(r, c), cut(value, chars_for(widths[c] - 0.1, size)),
                           size, header=r == 0, more=bool(hidden) and r == len(rows) - 1)
        return y + ROW_H * len(rows) + 0.12

    def _cell(self, cell: _Cell, value: str, size: float, header: bool, more: bool) -> None:
        cell.text = value
        tc_pr = cell._tc.get_or_add_tcPr()
        for side, inches in (("marL", 0.04), ("marR", 0.04), ("marT", 0.01), ("marB", 0.01)):
            tc_pr.set(side, str(int(Inches(inches))))
        tc_pr.append(deepcopy(_fill(str(HEADER_FILL if header else ROW_FILL))))
        self._paragraph_style(cell.text_frame.paragraphs[0], size, header,
                              GREY if header or more else INK)

    def footer(self, slide: Slide, number: int) -> None:
        """The data date range and parameters, and the slide number."""
        page = self.pack.label("page", page=number, pages=self.pack.page_count)
        text_w = SLIDE_W - 2 * MARGIN - 1.6
        text_x = MARGIN + 1.6 if self.rtl else MARGIN
        number_x = MARGIN if self.rtl else SLIDE_W - MARGIN - 1.5
        footer = cut(content.footer_text(self.pack), chars_for(text_w, 8))
        self.text(slide, (footer,), text_x, SLIDE_H - 0.38, text_w, size=8, colour=GREY)
        self.text(slide, (page,), number_x, SLIDE_H - 0.38, 1.5, size=8, colour=GREY)


def _portfolio(deck: _Deck, slide: Slide) -> None:
    pack, lab = deck.pack, deck.pack.label
    full = SLIDE_W - 2 * MARGIN
    y = deck.text(slide, (cut(pack.meta.title, chars_for(full, 24)),), MARGIN, 0.3, full,
                  size=24, bold=True)
    deck.text(slide, (cut(content.subtitle(pack), chars_for(full, 11)),), MARGIN, y, full,
              size=11, colour=GREY)
    half = (full - 0.4) / 2
    left, right = deck.split(MARGIN, full, half, 0.4)
    top = 1.2
    below_headlines = deck.table(slide, content.headline_table(pack), left, top, half, 6)
    if pack.portfolio.concentration:
        y = deck.heading(slide, lab("concentration"), right, top, half)
        lines = tuple(cut(line, chars_for(half, 10)) for line in pack.portfolio.concentration)
        deck.text(slide, lines[:6], right, y, half, size=10)
    wide = full * 0.63
    narrow = full - wide - 0.3
    first, second = deck.split(MARGIN, full, wide, 0.3)
    y = max(below_headlines, 3.1)
    rows = 99  # as many as fit above the footer
    deck.table(slide, content.key_account_table(pack), first, y, wide, rows)
    lost = content.lost_table(pack)
    lost = Table(lost.title, lost.headers[:2] + lost.headers[3:],
                 tuple(row[:2] + row[3:] for row in lost.rows), (4, 2, 2, 1.6), lost.limit)
    deck.table(slide, lost, second, y, narrow, rows)


def _figures(deck: _Deck, slide: Slide, page: AccountPage, x: float, y: float,
             w: float) -> float:
    cells = content.figure_cells(page, deck.pack)
    box = w / len(cells)
    for index, (caption, value) in enumerate(cells):
        slot = len(cells) - 1 - index if deck.rtl else index
        bx = x + slot * box
        # The box keeps 0.1 in of margin each side, and bold letters are about a tenth
        # wider than average: measured by the box's width, "нет данных" overflowed into
        # the next box. A long value (an amount in millions, "no data") gets smaller.
        inner = box - 0.2
        deck.text(slide, (cut(caption, chars_for(inner, 8)),), bx, y, box, size=8,
                  colour=GREY)
        size = 14
        while size > 9 and len(value) > chars_for(inner, size * 1.1):
            size -= 1
        deck.text(slide, (cut(value, chars_for(inner, size * 1.1)),), bx, y + 0.17, box,
                  size=size, bold=True)
    return y + 0.55


def _account_left(deck: _Deck, slide: Slide, page: AccountPage, chart: MonthlyChart,
                  x: float, w: float) -> None:
    pack, lab = deck.pack, deck.pack.label
    y = _figures(deck, slide, page, x, 1.05, w)
    history = content.class_history_line(page, pack)
    y = deck.text(slide, (cut(history, chars_for(w, 9)),), x, y, w, size=9)
    y = deck.heading(slide, lab("monthly"), x, y + 0.05, w)
    picture_h = w * CHART_H / CHART_W
    picture = slide.shapes.add_picture(io.BytesIO(chart.png(page.monthly)), Inches(x),
                                       Inches(y), Inches(w), Inches(picture_h))
    picture._element.nvPicPr.cNvPr.set("descr", lab("monthly"))  # alt text, not "image.png"
    y += picture_h + 0.08
    half = (w - 0.2) / 2
    rhythm_x, mix_x = deck.split(x, w, half, 0.2)
    top = y
    y = deck.heading(slide, lab("rhythm"), rhythm_x, top, half)
    y = deck.text(slide, tuple(cut(line, chars_for(half, 9)) for line in
                               content.rhythm_lines(page, pack)), rhythm_x, y, half, size=9)
    if page.rhythm.churn_message:
        y = deck.wrapped(slide, page.rhythm.churn_message, rhythm_x, y, half, 4, size=8)
    three = content.three_ps_lines(page, pack)
    if three:
        y = deck.heading(slide, lab("three_ps"), rhythm_x, y + 0.08, half)
        deck.text(slide, tuple(cut(line, chars_for(half, 9)) for line in three), rhythm_x, y,
                  half, size=9)
    mix = content.mix_table(page, pack)
    if mix is None:
        y = deck.heading(slide, lab("mix"), mix_x, top, half)
        deck.text(slide, (lab("no_mix"),), mix_x, y, half, size=9)
    else:
        deck.table(slide, mix, mix_x, top, half, 6)


def _account_right(deck: _Deck, slide: Slide, page: AccountPage, x: float, w: float) -> None:
    pack, lab, dossier = deck.pack, deck.pack.label, page.dossier
    y = deck.heading(slide, lab("general"), x, 1.05, w)
    y = deck.wrapped(slide, dossier.general or lab("none"), x, y, w, 3)
    y = deck.heading(slide, lab("competitors"), x, y + 0.04, w)
    y = deck.wrapped(slide, dossier.competitors or lab("none"), x, y, w, 1)
    y = deck.table(slide, content.decision_table(page, pack), x, y + 0.04, w, 4)
    y = deck.table(slide, content.history_table(page, pack), x, y, w, 4)
    deck.table(slide, content.steps_table(page, pack), x, y, w, 4)


def _account(deck: _Deck, slide: Slide, page: AccountPage, chart: MonthlyChart) -> None:
    full = SLIDE_W - 2 * MARGIN
    y = deck.text(slide, (cut(page.header.name, chars_for(full, 20)),), MARGIN, 0.25, full,
                  size=20, bold=True)
    deck.text(slide, (cut(content.account_line(page, deck.pack), chars_for(full, 10)),),
              MARGIN, y, full, size=10, colour=GREY)
    left_w = 6.5
    right_w = full - left_w - 0.35
    left, right = deck.split(MARGIN, full, left_w, 0.35)
    _account_left(deck, slide, page, chart, left, left_w)
    _account_right(deck, slide, page, right, right_w)


def _metadata(deck: _Deck) -> None:
    """Core properties from the meta only; python-pptx's defaults are all cleared."""
    meta, props = deck.pack.meta, deck.prs.core_properties
    props.title, props.author, props.subject = meta.title, meta.author, meta.dataset
    props.keywords, props.language = meta.measure, meta.language
    props.last_modified_by = meta.author
    props.comments = props.category = props.content_status = ""
    props.identifier = props.version = ""
    props.revision = 1


def render_pptx(pack: Pack, progress: Callable[[float], None] | None = None) -> bytes:
    """Render the pack as a PowerPoint deck (16:9), one slide per page.

    Parameters
    ----------
    pack : Pack
        The content, formatted.
    progress : callable, optional
        Called with the finished fraction (0 to 1) after each slide.

    Returns
    -------
    bytes
        The .pptx file.
    """
    deck = _Deck(pack)
    _metadata(deck)
    chart = MonthlyChart(pack.label("this_period"), pack.label("year_before"),
                         width_in=CHART_W, height_in=CHART_H, dpi=110,
                         right_to_left=deck.rtl)
    pages: list[Callable[[Slide], None]] = [lambda slide: _portfolio(deck, slide)]
    pages += [lambda slide, page=page: _account(deck, slide, page, chart)
              for page in pack.accounts]
    for number, draw in enumerate(pages, start=1):
        slide = deck.prs.slides.add_slide(deck.blank)
        draw(slide)
        deck.footer(slide, number)
        if progress is not None:
            progress(number / len(pages))
    buffer = io.BytesIO()
    deck.prs.save(buffer)
    return buffer.getvalue()
