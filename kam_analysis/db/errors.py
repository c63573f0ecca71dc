"""The database's errors, each explained in one line for the user."""

from __future__ import annotations


class StorageError(Exception):
    """A database problem explained in one line for the user."""


class DatabaseLockedError(StorageError):
    """Another process holds the DuckDB file."""


class DatasetNotFoundError(StorageError):
    """The named dataset does not exist (or was replaced meanwhile)."""
