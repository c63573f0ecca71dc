"""The account page's chart: monthly values of the last 24 months vs a year earlier.

Rendered with matplotlib's Agg canvas, without pyplot (no global state, safe in
threads). One ``MonthlyChart`` draws all the charts of a pack on one reused figure,
which is several times faster than building a figure per account. Matplotlib 3.11 lays
text out with libraqm, so Persian and Arabic captions are shaped and ordered right to
left by matplotlib itself; pass them in logical order (no pre-shaping, which would
reverse them a second time).
"""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import AutoLocator, FuncFormatter
from PIL import Image

from kam_analysis.report.model import MonthlySeries

CURRENT_COLOUR = "#1f4e79"
PREVIOUS_COLOUR = "#9aa5b1"
_TICK_EVERY = 3


def compact_number(value: float, _pos: object = None) -> str:
    """Format an axis value compactly with ASCII digits: ``1.2k``, ``3.4M``, ``-5``.

    Parameters
    ----------
    value : float
        The tick value.
    _pos : object, optional
        Tick position, ignored (matplotlib's formatter signature).

    Returns
    -------
    str
        The short label.
    """
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _values(values: tuple[float | None, ...]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


class MonthlyChart:
    """Draws monthly charts of one size and one pair of legend captions.

    Parameters
    ----------
    current_label, previous_label : str
        Legend captions for the last 24 months and for the year before.
    width_in, height_in : float
        Image size in inches.
    dpi : int
        Resolution; 130 prints cleanly at an A4 page width.
    right_to_left : bool
        Put the legend on the right (the time axis still runs left to right).
    """

    def __init__(self, current_label: str, previous_label: str, *, width_in: float = 7.4,
                 height_in: float = 2.0, dpi: int = 130, right_to_left: bool = False) -> None:
        self.figure = Figure(figsize=(width_in, height_in), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.dpi = dpi
        axes = self.figure.add_subplot()
        (self.previous,) = axes.plot([], [], color=PREVIOUS_COLOUR, linestyle="--",
                                     linewidth=1.2, label=previous_label)
        (self.current,) = axes.plot([], [], color=CURRENT_COLOUR, linewidth=1.8, marker="o",
                                    markersize=2.5, label=current_label)
        axes.tick_params(axis="both", labelsize=7)
        axes.yaxis.set_major_formatter(FuncFormatter(compact_number))
        axes.grid(axis="y", color="#e3e7eb", linewidth=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.legend(fontsize=7, frameon=False, ncols=2, borderaxespad=0.1,
                    loc="lower right" if right_to_left else "lower left",
                    bbox_to_anchor=(1, 1) if right_to_left else (0, 1))
        # Fixed margins instead of tight_layout, which draws the figure a second time.
        self.figure.subplots_adjust(left=0.065, right=0.99, top=0.87, bottom=0.13)
        self.axes = axes
        self._labels: tuple[str, ...] | None = None

    def _draw(self, series: MonthlySeries) -> None:
        positions = list(range(len(series.labels)))
        self.previous.set_data(positions, _values(series.previous))
        self.current.set_data(positions, _values(series.current))
        if series.labels != self._labels:
            ticks = positions[::_TICK_EVERY]
            self.axes.set_xticks(ticks, [series.labels[i] for i in ticks])
            self._labels = series.labels
        self.axes.set_xlim(-0.5, max(len(positions), 1) - 0.5)
        if series.ticks:  # the pack's own labels ("1,25 млн")
            values = [v for v, _ in series.ticks]
            labels = [label for _, label in series.ticks]
            self.axes.set_yticks(values, labels)
            self.axes.set_ylim(values[0], values[-1] + 0.03 * (values[-1] - values[0]))
            self._left_margin(max(len(label) for label in labels))
        else:
            self.axes.yaxis.set_major_locator(AutoLocator())
            self.axes.yaxis.set_major_formatter(FuncFormatter(compact_number))
            self.axes.relim()
            self.axes.autoscale_view(scalex=False)
            self._left_margin(5)
        self.canvas.draw()

    def _left_margin(self, chars: int) -> None:
        """Room on the left for tick labels of ``chars`` characters at 7 pt (about 0.6 em
        each, plus the ticks), without measuring them: that would draw the figure twice."""
        width_in = self.figure.get_figwidth()
        self.figure.subplots_adjust(left=max(0.065, (chars * 0.6 * 7 / 72 + 0.12) / width_in))

    def image(self, series: MonthlySeries) -> Image.Image:
        """Draw ``series`` and return the picture as an RGB image (no encoding step)."""
        self._draw(series)
        return Image.frombuffer("RGBA", self.canvas.get_width_height(),
                                self.canvas.buffer_rgba()).convert("RGB")

    def png(self, series: MonthlySeries) -> bytes:
        """Draw ``series`` and return a PNG with no metadata text (no software name)."""
        buffer = io.BytesIO()
        self.image(series).save(buffer, format="PNG", compress_level=3)
        return buffer.getvalue()
