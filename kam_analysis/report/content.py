"""What goes on each page, as captions, lines and tables, shared by the PDF and PPTX
renderers so both show the same content in the same order.

Nothing here formats a number or a date: the values come formatted in the ``Pack``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path

import matplotlib

from kam_analysis.report.model import AccountPage, Pack

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
"""DejaVu Sans ships with matplotlib (a dependency), so no font is fetched or committed;
it covers Latin with Vietnamese and Azerbaijani letters, Cyrillic and Arabic/Persian."""
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FONT_NAME = "DejaVu Sans"
SEPARATOR = " · "


_SHAPED_CLASSES = ("R", "AL", "AN", "NSM")


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif is_dataclass(value):
        for item in fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, Mapping):
        yield from (v for v in value.values() if isinstance(v, str))
    elif isinstance(value, tuple):
        for item in value:
            yield from _strings(item)


def needs_shaping(pack: Pack) -> bool:
    """True when any text of the pack is right-to-left or has combining marks.

    Such text needs a shaping engine (joining, mark placement, bidi order); plain
    Latin, Cyrillic and precomposed letters render correctly and much faster without.
    """
    if pack.meta.right_to_left:
        return True
    for text in _strings(pack):
        normal = unicodedata.normalize("NFC", text)
        if not normal.isascii() and any(
                unicodedata.bidirectional(c) in _SHAPED_CLASSES for c in normal):
            return True
    return False


@dataclass(frozen=True)
class Table:
    """A titled table: header captions, rows of strings and relative column widths."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    limit: int


def clip(rows: tuple[tuple[str, ...], ...], limit: int) -> tuple[tuple[tuple[str, ...], ...], int]:
    """Return at most ``limit`` rows and how many were left out.

    Parameters
    ----------
    rows : tuple of tuple of str
        All rows.
    limit : int
        Rows that fit.

    Returns
    -------
    tuple
        ``(shown_rows, hidden_count)``.
    """
    limit = max(limit, 0)
    return rows[:limit], max(len(rows) - limit, 0)


def join(*parts: str) -> str:
    """Join the non-empty parts with a middle dot."""
    return SEPARATOR.join(p for p in parts if p)


def captioned(pack: Pack, *pairs: tuple[str, str]) -> str:
    """Join ``"caption: value"`` for each ``(label key, value)`` with a value."""
    return join(*(f"{pack.label(key)}: {value}" if value else "" for key, value in pairs))


def footer_text(pack: Pack) -> str:
    """The footer's left part: data date range, window, measure, filters, parameters."""
    meta = pack.meta
    return captioned(pack, ("data", meta.date_range), ("window", meta.window),
                     ("measure", meta.measure), ("filters", meta.filters),
                     ("parameters", meta.parameters))


def subtitle(pack: Pack) -> str:
    """The portfolio page's line under the title."""
    meta = pack.meta
    generated = f"{pack.label('generated')}: {meta.generated_at}" if meta.generated_at else ""
    return join(meta.dataset, meta.window, meta.measure, generated)


def headline_table(pack: Pack) -> Table:
    """Headline figures with their changes."""
    lab = pack.label
    rows = tuple((h.label, h.value, h.change_previous, h.change_year)
                 for h in pack.portfolio.headlines)
    return Table(lab("headlines"), (lab("figure"), lab("value"), lab("change_previous"),
                                    lab("change_year")), rows, (3, 2, 2, 2), 8)


def key_account_table(pack: Pack) -> Table:
    """The key-account table of the portfolio page."""
    lab = pack.label
    rows = tuple((k.name, k.value, k.share, k.abc_xyz, k.change, k.flags)
                 for k in pack.portfolio.key_accounts)
    return Table(lab("key_accounts"), (lab("name"), lab("value"), lab("share"), lab("class"),
                                       lab("change"), lab("flags")), rows,
                 (4, 2, 1.3, 1.1, 1.5, 2.6), 22)


def lost_table(pack: Pack) -> Table:
    """Lost and at-risk key accounts."""
    lab = pack.label
    rows = tuple((r.name, r.status, r.last_purchase, r.value, r.p_alive or "–")
                 for r in pack.portfolio.lost_at_risk)
    return Table(lab("lost_at_risk"), (lab("name"), lab("status"), lab("last_purchase"),
                                       lab("value"), lab("p_alive")), rows, (4, 2, 2, 2, 1.6), 8)


def account_line(page: AccountPage, pack: Pack) -> str:
    """The line under the account's name: id, manager, region, types."""
    head = page.header
    return captioned(pack, ("id", head.account_id), ("manager", head.manager),
                     ("region", head.region), ("types", head.account_types))


def figure_cells(page: AccountPage, pack: Pack) -> tuple[tuple[str, str], ...]:
    """The account's figures as ``(caption, value)`` boxes."""
    fig, lab = page.figures, pack.label
    return ((lab("value"), fig.value), (lab("share"), fig.share), (lab("rank"), fig.rank),
            (lab("class"), fig.abc_xyz), (lab("change_previous"), fig.change_previous),
            (lab("change_year"), fig.change_year))


def class_history_line(page: AccountPage, pack: Pack) -> str:
    """Class by quarter as one line, oldest first; quarters in a row with the same class
    as one range ("4 кв. 2024: B · 1 кв. 2025 – 3 кв. 2026: A"), so that eight quarters
    fit the line."""
    runs: list[list[str]] = []  # [first quarter, last quarter, class]
    for quarter, klass in page.figures.class_history:
        if runs and runs[-1][2] == klass:
            runs[-1][1] = quarter
        else:
            runs.append([quarter, quarter, klass])
    history = SEPARATOR.join(f"{first}: {klass}" if first == last
                             else f"{first} – {last}: {klass}" for first, last, klass in runs)
    return f"{pack.label('class_history')}: {history}" if history else ""


def rhythm_lines(page: AccountPage, pack: Pack) -> tuple[str, ...]:
    """Purchase rhythm as caption-value lines; the churn model's status word follows the
    rule-based status, its P(alive) and expected purchases get a line each (none without a fit)."""
    r, lab = page.rhythm, pack.label
    lines = (f"{lab('last_purchase')}: {r.last_purchase}",
             f"{lab('median_gap')}: {r.median_gap}", f"{lab('days_since')}: {r.days_since}",
             f"{lab('status')}: {join(r.status, r.churn_status)}",
             captioned(pack, ("p_alive", r.p_alive)),
             captioned(pack, ("expected_13w", r.expected_13w)),
             f"{lab('rule')}: {r.rule}")
    return tuple(line for line in lines if line)


def mix_table(page: AccountPage, pack: Pack) -> Table | None:
    """Product or category mix, or ``None`` when the data has none."""
    if page.mix is None:
        return None
    lab = pack.label
    rows = tuple((m.item, m.share, m.change) for m in page.mix)
    return Table(lab("mix"), (lab("item"), lab("share"), lab("change")), rows, (4, 1.5, 1.5), 6)


def decision_table(page: AccountPage, pack: Pack) -> Table:
    """Decision makers."""
    lab = pack.label
    rows = tuple((d.person, d.role, d.influence, d.attitude)
                 for d in page.dossier.decision_makers)
    return Table(lab("decision_makers"), (lab("person"), lab("role"), lab("influence"),
                                          lab("attitude")), rows, (3, 2.5, 1.8, 1.8), 4)


def history_table(page: AccountPage, pack: Pack) -> Table:
    """Latest relationship history."""
    lab = pack.label
    rows = tuple((h.date, h.kind, h.note) for h in page.dossier.history)
    return Table(lab("history"), (lab("date"), lab("kind"), lab("note")), rows, (1.6, 1.6, 7), 4)


def steps_table(page: AccountPage, pack: Pack) -> Table:
    """Next steps, titled with the next review date when there is one."""
    lab, dossier = pack.label, page.dossier
    title = lab("next_steps")
    if dossier.next_review:
        title = f"{title}{SEPARATOR}{lab('next_review')}: {dossier.next_review}"
    rows = tuple((s.step, s.owner, s.due) for s in dossier.next_steps)
    return Table(title, (lab("step"), lab("owner"), lab("due")), rows, (6, 2.2, 1.6), 4)


def three_ps_lines(page: AccountPage, pack: Pack) -> tuple[str, ...]:
    """The three P's of a perspective account, or nothing."""
    three, lab = page.dossier.three_ps, pack.label
    if three is None:
        return ()
    return (f"{lab('need')}: {three.need}", f"{lab('ability_to_pay')}: {three.ability_to_pay}",
            f"{lab('authority')}: {three.authority}")
