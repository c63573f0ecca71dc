"""The choices a user can make over what the importer detects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportOptions:
    """Choices that override what the importer detects.

    Attributes
    ----------
    sheet : str, optional
        XLSX sheet; None -> the first non-empty sheet.
    mapping : Mapping[str, str], optional
        Canonical field -> source header. Overrides the suggested mapping for
        the fields given; an empty string unmaps an optional field.
    date_order : {"DMY", "MDY"}, optional
        Day/month order for dates like ``03/04/2024``; None -> from the data.
    encoding : str, optional
        Text encoding of a CSV file (Python codec name); None -> detect.
    delimiter : str, optional
        CSV delimiter; None -> sniff among ``; , tab |``.
    currency : str, optional
        Currency of the amounts, stored with the dataset.
    """

    sheet: str | None = None
    mapping: Mapping[str, str] | None = None
    date_order: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    currency: str | None = None


#: The options of an import that overrides nothing.
DEFAULT_OPTIONS = ImportOptions()
