"""One entry point for the review-meeting pack: PDF or PowerPoint, A4 or Letter."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Literal

from kam_analysis.report.model import Pack
from kam_analysis.report.pdf import render_pdf
from kam_analysis.report.pptx import render_pptx

FORMATS = ("pdf", "pptx")


def render_pack(
    pack: Pack,
    fmt: Literal["pdf", "pptx"],
    paper: Literal["A4", "Letter"] = "A4",
    out: BinaryIO | Path | None = None,
    progress: Callable[[float], None] | None = None,
) -> bytes:
    """Render ``pack`` and write it to ``out``.

    Parameters
    ----------
    pack : Pack
        The content, already computed and formatted by the caller.
    fmt : {"pdf", "pptx"}
        Output format.
    paper : {"A4", "Letter"}
        PDF page size (portrait); slides are 16:9 whatever the paper.
    out : binary file or Path, optional
        Where to write; a Path is written whole (created or replaced).
    progress : callable, optional
        Called with the finished fraction (0 to 1) after each page or slide.

    Returns
    -------
    bytes
        The document, also written to ``out`` when given.
    """
    if fmt == "pdf":
        data = render_pdf(pack, paper, progress)
    elif fmt == "pptx":
        data = render_pptx(pack, progress)
    else:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    if isinstance(out, Path):
        out.write_bytes(data)
    elif out is not None:
        out.write(data)
    return data
