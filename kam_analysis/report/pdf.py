"""The pack as a PDF: a portfolio page and one page per key account, A4 or Letter.

Every page is laid out to fit: long texts end in an ellipsis and long lists in a
"+N more" row, so the page count is always ``1 + len(pack.accounts)``.
"""

from __future__ import annotations

from collections.abc import Callable

from kam_analysis.report import content
from kam_analysis.report.charts import MonthlyChart
from kam_analysis.report.model import AccountPage, Pack
from kam_analysis.report.pdf_writer import GREY, MM_PER_PT, RULE, PdfWriter

PAPERS = ("A4", "Letter")
CHART_WIDTH_IN = 7.4
CHART_HEIGHT_IN = 2.0
COLUMN_GAP = 6.0


def _footer(doc: PdfWriter, pack: Pack, page: int) -> None:
    pdf = doc.pdf
    top = pdf.h - doc.margin - 7.5
    pdf.set_draw_color(*RULE)
    pdf.line(doc.margin, top, doc.margin + doc.width, top)
    pdf.set_y(top + 0.8)
    number = pack.label("page", page=page, pages=pack.page_count)
    doc.font(6.5, colour=GREY)
    number_w = pdf.get_string_width(number) + 2
    text_x = doc.margin + (number_w if doc.rtl else 0)
    text = content.footer_text(pack)
    h = 6.5 * MM_PER_PT + 0.9
    lines = pdf.multi_cell(doc.width - number_w, h, text, dry_run=True, output="LINES")
    for i, line in enumerate(lines[:2]):
        tail = "\u2026" if i == 1 and len(lines) > 2 else ""
        doc.line(line + tail, text_x, doc.width - number_w, h)
    number_x = doc.margin if doc.rtl else doc.margin + doc.width - number_w
    pdf.set_y(top + 0.8)
    doc.line(number, number_x, number_w, h, align="L" if doc.rtl else "R")


def _portfolio(doc: PdfWriter, pack: Pack) -> None:
    x, w, lab = doc.margin, doc.width, pack.label
    doc.pdf.set_y(doc.margin)
    doc.font(16, bold=True)
    doc.line(pack.meta.title, x, w, 8.0)
    doc.font(8, colour=GREY)
    doc.line(content.subtitle(pack), x, w, 5.5)
    more, none = lab("more"), lab("none")
    doc.table(content.headline_table(pack), x, w, none, more, size=8)
    doc.pdf.set_y(doc.pdf.get_y() + 2)
    if pack.portfolio.concentration:
        doc.heading(lab("concentration"), x, w)
        doc.lines(pack.portfolio.concentration[:6], x, w, size=8)
        doc.pdf.set_y(doc.pdf.get_y() + 2)
    lost = content.lost_table(pack)
    lost_rows = min(len(lost.rows), lost.limit)
    reserve = 12 + (lost_rows + 1) * (7.5 * MM_PER_PT + 1.5)
    doc.bottom = doc.page_bottom - reserve
    doc.table(content.key_account_table(pack), x, w, none, more)
    doc.bottom = doc.page_bottom
    doc.pdf.set_y(doc.pdf.get_y() + 2)
    doc.table(lost, x, w, none, more)


def _figures(doc: PdfWriter, page: AccountPage, pack: Pack) -> None:
    cells = content.figure_cells(page, pack)
    if doc.rtl:
        cells = tuple(reversed(cells))
    x, y = doc.margin, doc.pdf.get_y()
    box = doc.width / len(cells)
    doc.pdf.set_fill_color(244, 246, 248)
    doc.pdf.rect(x, y, doc.width, 11.5, style="F")
    for caption, value in cells:
        doc.pdf.set_y(y + 0.8)
        doc.font(6.5, colour=GREY)
        doc.line(caption, x + 1, box - 2, 3.6)
        doc.font(10.5, bold=True)
        doc.line(value, x + 1, box - 2, 6.0)
        x += box
    doc.pdf.set_y(y + 13)


def _chart(doc: PdfWriter, page: AccountPage, pack: Pack, chart: MonthlyChart) -> None:
    x, w = doc.margin, doc.width
    doc.heading(pack.label("monthly"), x, w)
    y = doc.pdf.get_y()
    h = w * CHART_HEIGHT_IN / CHART_WIDTH_IN
    doc.pdf.image(chart.image(page.monthly), x=x, y=y, w=w, h=h,
                  alt_text=pack.label("monthly"))
    doc.pdf.set_y(y + h + 1.5)


def _columns(doc: PdfWriter, page: AccountPage, pack: Pack) -> None:
    lab, dossier = pack.label, page.dossier
    half = (doc.width - COLUMN_GAP) / 2
    first, second = doc.margin, doc.margin + half + COLUMN_GAP
    if doc.rtl:
        first, second = second, first
    top = doc.pdf.get_y()
    doc.heading(lab("rhythm"), first, half)
    doc.lines(content.rhythm_lines(page, pack), first, half)
    doc.paragraph(page.rhythm.churn_message, first, half, max_lines=4)
    doc.pdf.set_y(doc.pdf.get_y() + 1.5)
    mix = content.mix_table(page, pack)
    if mix is None:
        doc.heading(lab("mix"), first, half)
        doc.lines((lab("no_mix"),), first, half)
    else:
        doc.table(mix, first, half, lab("none"), lab("more"))
    left_end = doc.pdf.get_y()
    doc.pdf.set_y(top)
    doc.heading(lab("general"), second, half)
    doc.paragraph(dossier.general or lab("none"), second, half, max_lines=4)
    doc.pdf.set_y(doc.pdf.get_y() + 1)
    doc.heading(lab("competitors"), second, half)
    doc.paragraph(dossier.competitors or lab("none"), second, half, max_lines=2)
    three = content.three_ps_lines(page, pack)
    if three:
        doc.pdf.set_y(doc.pdf.get_y() + 1)
        doc.heading(lab("three_ps"), second, half)
        doc.lines(three, second, half)
    doc.pdf.set_y(max(left_end, doc.pdf.get_y()) + 2)


def _account(doc: PdfWriter, page: AccountPage, pack: Pack, chart: MonthlyChart) -> None:
    x, w, lab = doc.margin, doc.width, pack.label
    doc.pdf.set_y(doc.margin)
    doc.font(15, bold=True)
    doc.line(page.header.name, x, w, 7.5)
    doc.font(8, colour=GREY)
    doc.line(content.account_line(page, pack), x, w, 5.0)
    _figures(doc, page, pack)
    history = content.class_history_line(page, pack)
    if history:
        doc.font(7.5)
        doc.line(history, x, w, 4.5)
    _chart(doc, page, pack, chart)
    _columns(doc, page, pack)
    more, none = lab("more"), lab("none")
    doc.table(content.decision_table(page, pack), x, w, none, more)
    doc.pdf.set_y(doc.pdf.get_y() + 1.5)
    doc.table(content.history_table(page, pack), x, w, none, more)
    doc.pdf.set_y(doc.pdf.get_y() + 1.5)
    doc.table(content.steps_table(page, pack), x, w, none, more)


def render_pdf(pack: Pack, paper: str = "A4",
               progress: Callable[[float], None] | None = None) -> bytes:
    """Render the pack as PDF bytes.

    Parameters
    ----------
    pack : Pack
        The content, formatted.
    paper : {"A4", "Letter"}
        Page size, portrait.
    progress : callable, optional
        Called with the finished fraction (0 to 1) after each page.

    Returns
    -------
    bytes
        The PDF, fonts embedded; metadata only from ``pack.meta``.
    """
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {PAPERS}, not {paper!r}")
    meta = pack.meta
    doc = PdfWriter(paper, meta.right_to_left, shaping=content.needs_shaping(pack))
    doc.pdf.set_title(meta.title)
    doc.pdf.set_author(meta.author)
    doc.pdf.set_subject(meta.dataset)
    doc.pdf.set_keywords(meta.measure)
    doc.pdf.set_lang(meta.language)
    pages = [lambda: _portfolio(doc, pack)]
    chart = MonthlyChart(pack.label("this_period"), pack.label("year_before"),
                         width_in=CHART_WIDTH_IN, height_in=CHART_HEIGHT_IN,
                         right_to_left=meta.right_to_left)
    pages += [lambda page=page: _account(doc, page, pack, chart) for page in pack.accounts]
    for number, draw in enumerate(pages, start=1):
        doc.pdf.add_page()
        draw()
        _footer(doc, pack, number)
        if progress is not None:
            progress(number / len(pages))
    return bytes(doc.pdf.output())
