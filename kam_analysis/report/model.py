"""The content of a review-meeting pack, computed and formatted by the caller.

Every value the renderer shows is a display string already formatted for the pack's
language (numbers, dates, percentages); the renderer only lays them out. The one
exception is the monthly series, which carries numbers because it becomes a chart.
All classes are frozen dataclasses holding tuples, so a pack can be shared between
threads and rendered twice with the same result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kam_analysis.i18n import N_


@dataclass(frozen=True)
class PackMeta:
    """What the pack is about; shown in the header and footer and used as metadata.

    Parameters
    ----------
    title : str
        Document title (also the PDF/PPTX title metadata).
    dataset : str
        Dataset name as the caller wants it shown (masked when ``masked``).
    window : str
        Analysis window, e.g. ``"Jan 2025 - Dec 2025 vs previous 12 months"``.
    measure : str
        Measure label, e.g. ``"Revenue"``.
    filters : str
        Active filters as one line, or ``""``.
    parameters : str
        Analysis parameters as one line (thresholds, cut-offs).
    date_range : str
        First and last date of the data, e.g. ``"2023-01-02 - 2025-12-30"``.
    language : str
        Language code of the captions, e.g. ``"en"``, ``"fa"``.
    right_to_left : bool
        True for right-to-left languages: text is right-aligned, tables mirrored.
    generated_at : str
        When the pack was made, formatted.
    masked : bool
        True when names and ids are replaced by the caller; the renderer adds no
        name, id or file name of its own anywhere, metadata included.
    author : str
        Author metadata (e.g. the application or user name); ``""`` for none.
    """

    title: str
    dataset: str
    window: str
    measure: str
    filters: str
    parameters: str
    date_range: str
    language: str = "en"
    right_to_left: bool = False
    generated_at: str = ""
    masked: bool = False
    author: str = ""


@dataclass(frozen=True)
class HeadlineRow:
    """One headline figure of the portfolio: label, value and its two changes."""

    label: str
    value: str
    change_previous: str
    change_year: str


@dataclass(frozen=True)
class KeyAccountRow:
    """One key account in the portfolio table."""

    name: str
    value: str
    share: str
    abc_xyz: str
    change: str
    flags: str


@dataclass(frozen=True)
class LostAccountRow:
    """A key account that was lost or is at risk."""

    name: str
    status: str
    last_purchase: str
    value: str
    p_alive: str = ""


@dataclass(frozen=True)
class PortfolioPage:
    """The portfolio page.

    Parameters
    ----------
    headlines : tuple of HeadlineRow
        Headline figures (total, customers, key accounts, ...).
    concentration : tuple of str
        Concentration lines: HHI band, largest customer, dependency flags.
    key_accounts : tuple of KeyAccountRow
        The key-account table, in the caller's order.
    lost_at_risk : tuple of LostAccountRow
        Lost and at-risk key accounts.
    """

    headlines: tuple[HeadlineRow, ...] = ()
    concentration: tuple[str, ...] = ()
    key_accounts: tuple[KeyAccountRow, ...] = ()
    lost_at_risk: tuple[LostAccountRow, ...] = ()


@dataclass(frozen=True)
class AccountHeader:
    """Who the account is."""

    name: str
    account_id: str
    manager: str = ""
    region: str = ""
    account_types: str = ""


@dataclass(frozen=True)
class AccountFigures:
    """The account's figures; ``class_history`` is ``(quarter, class)`` pairs."""

    value: str
    share: str
    rank: str
    abc_xyz: str
    change_previous: str
    change_year: str
    class_history: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MonthlySeries:
    """Monthly values for the chart: the last 24 months and the 24 before them.

    ``current`` and ``previous`` have one value per label (``None`` for no data);
    ``previous[i]`` is the same month a year earlier than ``current[i]``. ``ticks`` are
    the value axis's ticks with their labels in the pack's language, lowest first (none:
    the chart picks them and writes ``1.2M``).
    """

    labels: tuple[str, ...]
    current: tuple[float | None, ...]
    previous: tuple[float | None, ...]
    ticks: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class PurchaseRhythm:
    """Purchase rhythm: last purchase, median gap, days since, status and rule.

    The churn model's figures sit next to the rule: ``p_alive`` (a percentage),
    ``expected_13w`` (purchases expected in the next 13 weeks) and ``churn_status``
    ("likely still active" / "probably lost"); ``churn_message`` says why they are
    missing when the model cannot be fitted (``""`` otherwise).
    """

    last_purchase: str
    median_gap: str
    days_since: str
    status: str
    rule: str
    p_alive: str = ""
    expected_13w: str = ""
    churn_status: str = ""
    churn_message: str = ""


@dataclass(frozen=True)
class MixRow:
    """One product or category in the account's mix."""

    item: str
    share: str
    change: str


@dataclass(frozen=True)
class DecisionMaker:
    """A person in the buying decision."""

    person: str
    role: str
    influence: str
    attitude: str


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of the relationship history."""

    date: str
    kind: str
    note: str


@dataclass(frozen=True)
class NextStep:
    """One agreed next step."""

    step: str
    owner: str
    due: str


@dataclass(frozen=True)
class ThreePs:
    """For perspective accounts: need for the offer, ability to pay, authority."""

    need: str
    ability_to_pay: str
    authority: str


@dataclass(frozen=True)
class Dossier:
    """What the key account manager knows about the account."""

    general: str = ""
    decision_makers: tuple[DecisionMaker, ...] = ()
    competitors: str = ""
    history: tuple[HistoryEntry, ...] = ()
    next_review: str = ""
    next_steps: tuple[NextStep, ...] = ()
    three_ps: ThreePs | None = None


@dataclass(frozen=True)
class AccountPage:
    """One key account's page; ``mix`` is ``None`` when the data has no products."""

    header: AccountHeader
    figures: AccountFigures
    monthly: MonthlySeries
    rhythm: PurchaseRhythm
    mix: tuple[MixRow, ...] | None = None
    dossier: Dossier = field(default_factory=Dossier)


DEFAULT_LABELS: Mapping[str, str] = {
    "portfolio": N_("Portfolio"),
    "headlines": N_("Headline figures"),
    "figure": N_("Figure"),
    "value": N_("Value"),
    "change_previous": N_("vs previous period"),
    "change_year": N_("vs a year earlier"),
    "concentration": N_("Concentration"),
    "key_accounts": N_("Key accounts"),
    "name": N_("Name"),
    "share": N_("Share"),
    "class": N_("Class"),
    "change": N_("Change"),
    "flags": N_("Flags"),
    "lost_at_risk": N_("Lost and at-risk key accounts"),
    "status": N_("Status"),
    "last_purchase": N_("Last purchase"),
    "none": N_("None"),
    "id": N_("ID"),
    "manager": N_("Manager"),
    "region": N_("Region"),
    "types": N_("Account types"),
    "rank": N_("Rank"),
    "class_history": N_("Class by quarter"),
    "monthly": N_("Monthly value, last 24 months"),
    "this_period": N_("Last 24 months"),
    "year_before": N_("A year earlier"),
    "rhythm": N_("Purchase rhythm"),
    "median_gap": N_("Usual gap, days"),  # as the dossier and Key accounts call it
    "days_since": N_("Days since last purchase"),
    "rule": N_("Rule"),
    "p_alive": N_("P(alive)"),
    "expected_13w": N_("Expected purchases, next 13 weeks"),
    "mix": N_("Product mix"),
    "item": N_("Item"),
    "no_mix": N_("No product data"),
    "dossier": N_("Dossier"),
    "general": N_("General information"),
    "decision_makers": N_("Decision makers"),
    "person": N_("Person"),
    "role": N_("Role"),
    "influence": N_("Influence"),
    "attitude": N_("Attitude to us"),
    "competitors": N_("Competitors"),
    "history": N_("Relationship history"),
    "date": N_("Date"),
    "kind": N_("Kind"),
    "note": N_("Note"),
    "next_review": N_("Next review"),
    "next_steps": N_("Next steps"),
    "step": N_("Step"),
    "owner": N_("Owner"),
    "due": N_("Due"),
    "three_ps": N_("Three P's"),
    "need": N_("Need for the offer"),
    "ability_to_pay": N_("Ability to pay"),
    "authority": N_("Authority to decide"),
    "page": N_("Page {page} of {pages}"),
    "more": N_("+{n} more"),
    "data": N_("Data"),
    "parameters": N_("Parameters"),
    "filters": N_("Filters"),
    "window": N_("Window"),
    "measure": N_("Measure"),
    "generated": N_("Generated"),
}
"""English captions; a pack's ``labels`` override any of them (e.g. translated)."""


@dataclass(frozen=True)
class Pack:
    """A whole pack: meta, the portfolio page, one page per account, the captions.

    Parameters
    ----------
    meta : PackMeta
        Title, dataset, window, language and the footer texts.
    portfolio : PortfolioPage
        The first page.
    accounts : tuple of AccountPage
        One page each, in this order.
    labels : Mapping[str, str]
        Captions by key (see ``DEFAULT_LABELS``); missing keys fall back to English.
        ``"page"`` takes ``{page}`` and ``{pages}``, ``"more"`` takes ``{n}``.
    """

    meta: PackMeta
    portfolio: PortfolioPage
    accounts: tuple[AccountPage, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, key: str, **values: object) -> str:
        """Return the caption for ``key``, formatted with ``values`` if any."""
        text = self.labels.get(key) or DEFAULT_LABELS.get(key, key)
        return text.format(**values) if values else text

    @property
    def page_count(self) -> int:
        """Pages (or slides) the pack renders to: the portfolio plus one per account."""
        return 1 + len(self.accounts)
