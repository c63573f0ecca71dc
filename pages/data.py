"""Data: upload sales transactions, map their columns, import, review rejected rows,
and manage datasets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from kam_analysis import export
from kam_analysis.db import (
    DatasetNotFoundError,
    StorageError,
    delete_dataset,
    import_rejects,
    list_datasets,
    validate_dataset_name,
)
from kam_analysis.i18n import t, tn
from kam_analysis.importing import (
    ImportFailed,
    ImportOptions,
    UnsupportedFile,
    import_file,
    inspect_file,
)
from kam_analysis.vocabulary import FIELDS
from ui import access, calls, errors, masking, navigation, state, tables, uploads
from ui import formatting as fmt

navigation.enter()
st.title(t("Data"))
db = calls.get_db()
NOT_IN_FILE = "\x00none"
K_UPLOADER = "data_uploader_round"  # a new uploader (empty) after each import

# ---- Upload ------------------------------------------------------------------------
st.subheader(t("Import sales transactions"))
st.caption(t("CSV or text exports, Excel workbooks (.xlsx) or Parquet files. One row per "
             "sales line: customer, date and revenue are needed; name, margin, quantity, "
             "product, category, region, manager and document number are used when present."))
if access.can_edit():
    # No ``type=`` restriction: Streamlit's own refusal shows only a red icon; our
    # detection (detect_format) refuses other files with a message naming the file.
    upload = st.file_uploader(
        t("Sales file"), key=f"data_upload_{st.session_state.get(K_UPLOADER, 0)}",
        help=t("CSV or text (.csv, .txt, .tsv), Excel (.xlsx) or Parquet (.parquet)."))
else:
    upload = None
    st.info(t("Only editors can import data."), icon=":material/lock:")


def _saved_upload(file) -> Path:
    """Save the upload once into this session's folder (see ui/uploads.py)."""
    token = f"{file.file_id}:{file.name}:{file.size}"
    saved = st.session_state.get("data_temp")
    if saved and saved[0] == token and Path(saved[1]).exists():
        return Path(saved[1])
    _discard_upload()
    uploads.sweep_now()
    limits = uploads.UploadLimits.from_env()
    try:
        path = uploads.save(file.getbuffer(), Path(file.name).suffix.lower()[:10],
                            uploads.session_id(), limits)
    except uploads.UploadSpaceExhausted:
        st.error(t("The server holds too many uploaded files right now (at most {mb} MB "
                   "together). Try again later or ask whoever runs the app to raise "
                   "KAM_UPLOAD_MAX_MB.", mb=fmt.fmt_count(limits.max_bytes // 2**20)))
        st.stop()
    st.session_state["data_temp"] = (token, str(path))
    return path


def _discard_upload() -> None:
    """Delete this session's saved upload (the sales data should not outlive its use)."""
    saved = st.session_state.pop("data_temp", None)
    if saved:
        Path(saved[1]).unlink(missing_ok=True)
        uploads.discard(uploads.session_id())


def _without_raw(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows with the raw line and the values quoted in the reasons hidden while
    names are masked (they may hold names)."""
    if not masking.masking():
        return rejects
    out = rejects.copy()
    if "raw" in out.columns:
        out["raw"] = masking.hidden_note()
    if "reason" in out.columns:
        out["reason"] = out["reason"].map(masking.mask_message)
    return out


if upload is None:
    _discard_upload()
else:
    path = _saved_upload(upload)
    token = st.session_state["data_temp"][0]
    tag = str(abs(hash(token)))[:10]  # widget keys per uploaded file
    sheet = st.session_state.get(f"data_sheet_{tag}")
    try:
        preview = inspect_file(path, ImportOptions(sheet=sheet), filename=upload.name)
    except (ImportFailed, UnsupportedFile) as exc:
        st.error(fmt.md_text(masking.shown_message(exc)))
        st.caption(t("Accepted: CSV or text (.csv, .txt, .tsv), Excel workbooks (.xlsx) and "
                     "Parquet files (.parquet)."))
        st.stop()
    except ValueError as exc:
        st.error(t("Cannot read {name}: {error}", name=fmt.md_text(upload.name),
                   error=fmt.md_text(masking.shown_message(exc))))
        st.stop()

    facts = [t("Format: {f}", f=preview.format)]
    if preview.encoding:
        facts.append(t("encoding {e}", e=preview.encoding))
    if preview.delimiter:
        facts.append(t("delimiter {d}", d=repr(preview.delimiter)))
    facts.append(t("header on line {n}", n=fmt.fmt_count(preview.header_line)))
    st.caption(fmt.dot().join(facts))
    if len(preview.sheets) > 1:
        st.selectbox(t("Sheet"), list(preview.sheets), key=f"data_sheet_{tag}",
                     index=list(preview.sheets).index(preview.sheet)
                     if preview.sheet in preview.sheets else 0)
    if masking.masking():  # the raw rows hold customer names
        st.caption(t("The first rows of the file are hidden while names are masked."))
    else:
        st.dataframe(preview.sample, hide_index=True, key="data_sample", height=240)

    st.markdown(fmt.bold(t("Columns")))
    st.caption(t("Check which column of the file holds each field (* = required)."))
    headers = list(preview.headers)
    options = [NOT_IN_FILE, *headers]
    mapping: dict[str, str] = {}
    cols = st.columns(3)
    for i, field in enumerate(FIELDS):
        suggested = preview.mapping.get(field.name)
        index = options.index(suggested) if suggested in options else 0
        choice = cols[i % 3].selectbox(
            t("{field} *", field=t(field.label)) if field.required else t(field.label),
            options, index=index,
            key=f"data_map_{field.name}_{tag}_{preview.sheet or ''}",  # fresh per sheet
            format_func=lambda h: t("— not in the file —") if h == NOT_IN_FILE else h,
        )
        if choice != NOT_IN_FILE:
            mapping[field.name] = choice
    missing = [t(f.label) for f in FIELDS if f.required and f.name not in mapping]
    chosen = list(mapping.values())
    duplicates = sorted({h for h in chosen if chosen.count(h) > 1})

    date_order = None
    if preview.date_order_ambiguous:
        date_order = st.radio(
            t("Dates such as 03/04/2025 can be read two ways. Which order does the file use?"),
            ["DMY", "MDY"], key=f"data_date_order_{tag}", horizontal=True,
            format_func=lambda o: {"DMY": t("day/month/year (03/04 = 3 April)"),
                                   "MDY": t("month/day/year (03/04 = 4 March)")}[o])

    existing = {d.name for d in list_datasets(db)}
    name_col, currency_col = st.columns([3, 1])
    name = name_col.text_input(t("Dataset name"), Path(upload.name).stem[:100],
                               key=f"data_name_{tag}")
    currency = currency_col.text_input(
        t("Currency (optional)"), "", max_chars=5, key=f"data_currency_{tag}",
        placeholder="€, $, ₽, CHF", help=t("Shown next to amounts on every page."))
    if name.strip() in existing:
        st.warning(t("A dataset called {name} exists: importing replaces it (all at once, "
                     "only if the import succeeds).", name=fmt.md_text(name)))
    if missing:
        st.warning(t("Choose a column for: {fields}.", fields=fmt.fmt_list(missing)))
    if duplicates:
        st.warning(t("One column is used for several fields: {cols}.",
                     cols=fmt.fmt_list([fmt.md_text(d) for d in duplicates])))
    start_import = st.button(t("Import"), type="primary", key="data_import",
                   disabled=bool(missing or duplicates))
    if start_import:
        try:
            dataset_name = validate_dataset_name(name)
        except ValueError as exc:
            st.error(fmt.md_text(exc))
            st.stop()
        options_ = ImportOptions(sheet=preview.sheet, mapping=mapping, date_order=date_order,
                                 encoding=preview.encoding, delimiter=preview.delimiter,
                                 currency=currency.strip() or None)
        with st.status(t("Importing {name}...", name=fmt.md_text(upload.name)),
                       expanded=True) as status:
            bar = st.progress(0.0, text=t("Starting"))

            def _progress(fraction: float, message: str) -> None:
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=fmt.md_text(message))

            try:
                result = import_file(db, path, dataset_name, options_, filename=upload.name,
                                     progress=_progress)
            except (ImportFailed, UnsupportedFile, StorageError, ValueError) as exc:
                status.update(label=t("Import failed"), state="error")
                st.error(fmt.md_text(masking.shown_message(exc)))
                st.stop()
            except Exception as exc:  # an unexpected failure: one line, nothing written
                status.update(label=t("Import failed"), state="error")
                errors.report_exception(exc)
                st.stop()
            bar.progress(1.0, text=t("Done"))
            status.update(label=t("Imported {name}", name=fmt.md_text(result.dataset.name)),
                          state="complete", expanded=False)
        st.session_state["data_last_result"] = result
        state.select_dataset(result.dataset.name)
        # Done with this file: an empty uploader (no "importing replaces it" warning, no
        # second Import button) and the rejected rows of the dataset just imported.
        st.session_state[K_UPLOADER] = st.session_state.get(K_UPLOADER, 0) + 1
        st.session_state["data_rejects_dataset"] = result.dataset.name
        _discard_upload()
        st.rerun()

# ---- Last import summary -------------------------------------------------------------
result = st.session_state.get("data_last_result")
if result is not None:
    st.subheader(t("Last import: {name}", name=fmt.md_text(result.dataset.name)))
    m = st.columns(4)
    m[0].metric(t("Rows read"), fmt.fmt_count(result.rows_read))
    m[1].metric(t("Rows imported"), fmt.fmt_count(result.rows_imported))
    m[2].metric(t("Rows rejected"), fmt.fmt_count(result.rows_rejected))
    m[3].metric(t("Total lines dropped"), fmt.fmt_count(result.totals_dropped),
                help=t("Subtotal and total lines of the report, left out so nothing is "
                       "counted twice."))
    t1, t2 = st.columns(2)
    t1.metric(t("Revenue in the file"), fmt.fmt_money(result.file_revenue_total, result.dataset))
    t2.metric(t("Revenue imported"), fmt.fmt_money(result.imported_revenue_total,
                                                   result.dataset),
              delta=fmt.fmt_money(result.imported_revenue_total - result.file_revenue_total,
                                 result.dataset)
              if abs(result.imported_revenue_total - result.file_revenue_total) > 0.005
              else None)
    for warning in result.warnings:
        st.warning(fmt.md_text(masking.shown_message(warning)))
    if result.rows_rejected:
        st.warning(tn("Imported; {n} row was rejected:", "Imported; {n} rows were rejected:",
                      result.rows_rejected, n=fmt.fmt_count(result.rows_rejected)))
        last_rejects = _without_raw(result.rejects)
        shown = last_rejects.rename(columns={"source_line": t("Line"), "reason": t("Reason"),
                                             "raw": t("Row as read")})
        st.dataframe(shown, hide_index=True, key="data_last_rejects", height=220)
        st.download_button(t("Rejected rows (CSV)"),
                           export.deferred(lambda: export.csv_bytes(last_rejects)),
                           file_name=f"rejected_{fmt.slug(result.dataset.name)}.csv",
                           mime="text/csv", key="data_last_rejects_csv", icon=":material/download:")
    else:
        st.success(t("Imported; no row was rejected."))

# ---- Datasets ---------------------------------------------------------------------------
st.subheader(t("Datasets"))
datasets = list_datasets(db)
if not datasets:
    st.info(t("No datasets yet: import a file above."))
    st.stop()
tables.show(pd.DataFrame({
    t("Name"): [d.name for d in datasets],
    t("Rows"): [d.row_count for d in datasets],
    t("Customers in the dataset"): [d.customer_count for d in datasets],
    t("From"): [d.first_date for d in datasets],
    t("To"): [d.last_date for d in datasets],
    t("Margin"): [d.has_margin for d in datasets],
    t("Source"): [d.source for d in datasets],
    t("Imported"): [d.imported_at for d in datasets],
}), {t("Rows"): "count", t("Customers in the dataset"): "count",  # 69,659: separators
     t("From"): "date", t("To"): "date", t("Imported"): "datetime"},
    hide_index=True, key="data_datasets")

names = [d.name for d in datasets]
current = st.session_state.get(state.K_DATASET)
left, right = st.columns(2)
with left:
    st.markdown(fmt.bold(t("Rejected rows")))
    state.sanitize("data_rejects_dataset", names,
                   default=current if current in names else names[0])
    which = st.selectbox(t("Dataset"), names, key="data_rejects_dataset")
    try:
        rejects = import_rejects(db, which)
    except DatasetNotFoundError as exc:
        st.warning(fmt.md_text(exc))
        rejects = pd.DataFrame(columns=["source_line", "reason", "raw"])
    if rejects.empty:
        st.caption(t("The import of this dataset rejected no row."))
    else:
        rejects = _without_raw(rejects)
        st.dataframe(rejects.rename(columns={"source_line": t("Line"), "reason": t("Reason"),
                                             "raw": t("Row as read")}),
                     hide_index=True, key="data_rejects", height=260)
        st.download_button(t("Rejected rows (CSV)"),
                           export.deferred(lambda: export.csv_bytes(rejects)),
                           file_name=f"rejected_{fmt.slug(which)}.csv", mime="text/csv",
                           key="data_rejects_csv", icon=":material/download:")
with right:
    st.markdown(fmt.bold(t("Delete a dataset")))
    if not access.can_edit():
        st.caption(t("Only editors can delete datasets."))
        st.stop()
    victim = st.selectbox(t("Dataset to delete"), names, key="data_delete_dataset", index=None,
                          placeholder=t("Choose..."))
    sure = st.checkbox(t("Yes, delete it with all its rows (dossiers and account types stay)"),
                       key="data_delete_confirm", disabled=victim is None)
    if st.button(t("Delete"), key="data_delete", disabled=not (victim and sure)):
        try:
            delete_dataset(db, victim)
        except (DatasetNotFoundError, StorageError) as exc:
            st.warning(fmt.md_text(exc))
        else:
            if current == victim:
                state.select_dataset(None)
            last = st.session_state.get("data_last_result")
            if last is not None and last.dataset.name == victim:
                del st.session_state["data_last_result"]
            for key in ("data_delete_dataset", "data_delete_confirm"):
                st.session_state.pop(key, None)
            st.toast(t("Deleted {name}.", name=fmt.md_text(victim)))
            st.rerun()
