"""The review-meeting pack: a portfolio page and a one-pager per key account, rendered
as PDF or PowerPoint from content the caller has computed and formatted."""

from kam_analysis.report.model import (
    DEFAULT_LABELS,
    AccountFigures,
    AccountHeader,
    AccountPage,
    DecisionMaker,
    Dossier,
    HeadlineRow,
    HistoryEntry,
    KeyAccountRow,
    LostAccountRow,
    MixRow,
    MonthlySeries,
    NextStep,
    Pack,
    PackMeta,
    PortfolioPage,
    PurchaseRhythm,
    ThreePs,
)
from kam_analysis.report.render import FORMATS, render_pack

__all__ = [
    "DEFAULT_LABELS", "FORMATS", "AccountFigures", "AccountHeader", "AccountPage",
    "DecisionMaker", "Dossier", "HeadlineRow", "HistoryEntry", "KeyAccountRow",
    "LostAccountRow", "MixRow", "MonthlySeries", "NextStep", "Pack", "PackMeta",
    "PortfolioPage", "PurchaseRhythm", "ThreePs", "render_pack",
]
