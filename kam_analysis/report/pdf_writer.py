"""Drawing primitives for the PDF pack on top of fpdf2: one-line cells that end in an
ellipsis instead of overflowing, paragraphs cut to a number of lines, titled tables that
stop at a y limit with a "+N more" row, mirrored for right-to-left languages.

Text goes through fpdf2's HarfBuzz shaping (``uharfbuzz``), so Persian is joined and
ordered, Vietnamese stacked diacritics are placed, and everything stays extractable
(the fonts are embedded as subsets with a ToUnicode map).
"""

from __future__ import annotations

import unicodedata

from fpdf import FPDF

from kam_analysis.report.content import FONT_BOLD, FONT_NAME, FONT_REGULAR, Table, clip

ELLIPSIS = "\u2026"
MM_PER_PT = 0.3528
GREY = (96, 104, 112)
INK = (20, 24, 28)
RULE = (200, 206, 212)
HEADER_FILL = (234, 239, 244)
ACCENT = (31, 78, 121)


class PdfWriter:
    """An fpdf2 document with the pack's fonts and layout helpers.

    Parameters
    ----------
    paper : str
        ``"A4"`` or ``"Letter"``, portrait.
    right_to_left : bool
        Right-align text and mirror table columns and two-column layouts.
    shaping : bool
        Shape text with HarfBuzz (needed for Arabic script and combining marks; several
        times slower, so off for packs that have neither).
    margin : float
        Page margin in millimetres.
    """

    def __init__(self, paper: str, right_to_left: bool, shaping: bool = True,
                 margin: float = 11.0) -> None:
        pdf = FPDF(orientation="portrait", unit="mm", format=paper)
        pdf.set_auto_page_break(False)
        pdf.set_margins(margin, margin, margin)
        pdf.add_font(FONT_NAME, "", str(FONT_REGULAR))
        pdf.add_font(FONT_NAME, "B", str(FONT_BOLD))
        if shaping:
            pdf.set_text_shaping(True)
        pdf.set_producer("")
        self.pdf = pdf
        self.rtl = right_to_left
        self.align = "R" if right_to_left else "L"
        self.margin = margin
        self.page_bottom = pdf.h - margin - 9.0
        """Lowest y the page content may reach, above the footer."""
        self.bottom = self.page_bottom
        """Lowest y the next drawing may reach (raised to keep room for later parts)."""

    @property
    def width(self) -> float:
        """Usable page width in mm."""
        return self.pdf.epw

    def font(self, size: float, bold: bool = False, colour: tuple[int, int, int] = INK) -> None:
        """Select the pack font."""
        self.pdf.set_font(FONT_NAME, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)

    def fit(self, text: str, width: float) -> str:
        """Return ``text`` cut with an ellipsis to fit ``width`` in the current font."""
        text = unicodedata.normalize("NFC", " ".join(text.split()))
        measure = self.pdf.get_string_width
        full = measure(text)
        if full <= width:
            return text
        # Start from the proportional guess and step, instead of a search over the whole
        # text: each measurement costs the length of the text.
        count = min(len(text), int(len(text) * width / full) + 1)
        while count > 0 and measure(text[:count].rstrip() + ELLIPSIS) > width:
            count -= 1
        while count < len(text) and measure(text[:count + 1].rstrip() + ELLIPSIS) <= width:
            count += 1
        return text[:count].rstrip() + ELLIPSIS

    def line(self, text: str, x: float, w: float, h: float, align: str | None = None) -> None:
        """Draw one line at (x, current y) cut to ``w`` and move below it."""
        y = self.pdf.get_y()
        self.pdf.set_xy(x, y)
        self.pdf.cell(w, h, self.fit(text, w - 0.4), align=align or self.align)
        self.pdf.set_xy(x, y + h)

    def heading(self, text: str, x: float, w: float, size: float = 9.0) -> None:
        """A section heading with a thin rule under it."""
        self.font(size, bold=True, colour=ACCENT)
        self.line(text, x, w, size * MM_PER_PT + 1.6)
        y = self.pdf.get_y()
        self.pdf.set_draw_color(*RULE)
        self.pdf.line(x, y, x + w, y)
        self.pdf.set_y(y + 0.8)

    def paragraph(self, text: str, x: float, w: float, max_lines: int, size: float = 7.5) -> None:
        """Draw ``text`` wrapped to ``w``, at most ``max_lines`` lines and above the bottom."""
        self.font(size)
        h = size * MM_PER_PT + 1.1
        fits = int((self.bottom - self.pdf.get_y()) // h)
        max_lines = min(max_lines, fits)
        if not text.strip() or max_lines <= 0:
            return
        text = " ".join(text.split())[: max_lines * int(w)]  # more than the lines can hold
        lines = self.pdf.multi_cell(w, h, text, dry_run=True, output="LINES")
        if len(lines) > max_lines:
            lines = [*lines[: max_lines - 1], self.fit(lines[max_lines - 1] + ELLIPSIS, w - 0.4)]
        for text_line in lines:
            self.line(text_line, x, w, h)

    def lines(self, texts: tuple[str, ...], x: float, w: float, size: float = 7.5) -> None:
        """Draw one-line texts under each other while they fit above the bottom."""
        self.font(size)
        h = size * MM_PER_PT + 1.1
        for text in texts:
            if text and self.pdf.get_y() + h <= self.bottom:
                self.line(text, x, w, h)

    def _row(self, cells: tuple[str, ...], x: float, widths: list[float], h: float,
             fill: bool = False) -> None:
        y = self.pdf.get_y()
        if self.rtl:
            cells, widths = tuple(reversed(cells)), list(reversed(widths))
        self.pdf.set_fill_color(*HEADER_FILL)
        for cell, width in zip(cells, widths, strict=True):
            self.pdf.set_xy(x, y)
            self.pdf.cell(width, h, self.fit(cell, width - 1.2), align=self.align, fill=fill)
            x += width
        self.pdf.set_draw_color(*RULE)
        self.pdf.line(x - sum(widths), y + h, x, y + h)
        self.pdf.set_xy(x - sum(widths), y + h)

    def table(self, table: Table, x: float, w: float, none_text: str, more: str,
              size: float = 7.5) -> None:
        """Draw a titled table; rows beyond its limit or the page end become "+N more".

        Parameters
        ----------
        table : Table
            Title, headers, rows, relative widths and row limit.
        x, w : float
            Left edge and width in mm.
        none_text : str
            Shown instead of the header when the table has no rows.
        more : str
            Caption for left-out rows, with ``{n}``.
        size : float
            Font size in points.
        """
        h = size * MM_PER_PT + 1.5
        if self.pdf.get_y() + 2 * h + 6 > self.bottom:
            return
        self.heading(table.title, x, w)
        if not table.rows:
            self.lines((none_text,), x, w, size)
            return
        widths = [w * part / sum(table.widths) for part in table.widths]
        self.font(size, bold=True, colour=GREY)
        self._row(table.headers, x, widths, h, fill=True)
        room = int((self.bottom - self.pdf.get_y()) // h)
        cap = min(table.limit, room)
        shown, hidden = clip(table.rows, cap)
        if hidden:
            shown, hidden = clip(table.rows, cap - 1)
        self.font(size)
        for row in shown:
            self._row(row, x, widths, h)
        if hidden:
            self.font(size - 0.5, colour=GREY)
            self.line(more.format(n=hidden), x, w, h)
