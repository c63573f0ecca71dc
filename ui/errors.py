"""Engine errors as short messages: never a traceback on a page."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

from kam_analysis.db import DatasetNotFoundError, StorageError
from kam_analysis.i18n import t
from ui.formatting import md_text

log = logging.getLogger("kam_analysis.app")


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Show engine errors as a short message and stop the page (never a traceback).

    ``ValueError`` (bad parameters, empty selections) becomes an info box;
    a dataset that vanished or another storage problem becomes a warning.
    """
    try:
        yield
    except DatasetNotFoundError as exc:
        st.warning(t("The dataset is no longer there ({error}). Pick another one in the "
                     "sidebar.", error=md_text(exc)))
        st.stop()
    except StorageError as exc:
        st.warning(md_text(exc))
        st.stop()
    except ValueError as exc:
        st.info(md_text(exc))
        st.stop()


def report_exception(exc: Exception) -> None:
    """Show an unexpected error in one line (logged with its traceback)."""
    log.exception("page failed")
    st.error(t("Something went wrong: {error}", error=md_text(str(exc) or type(exc).__name__)))
