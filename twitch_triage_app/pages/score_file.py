"""Page "Score a file": a CSV of cases in, a preview, the dispositions and the scored CSV out.

Every text that comes from the file (its name, column names, cells, the
library's messages about them) is shown verbatim (:func:`shared.verbatim`) or
in the preview table, never as Markdown.
"""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from twitch_triage_app.ui import charts, scoring, shared

__all__ = ["preview", "warnings", "column_list", "scored_for", "forget_scored", "PREVIEW_ROWS",
           "WARNINGS_SHOWN"]  # a page script: Streamlit runs it

PREVIEW_ROWS = 200
WARNINGS_SHOWN = 5  # near-miss column names shown one by one; the rest in one summary
_LOG = logging.getLogger("twitch_triage_app.pages.score_file")
_ERROR_ROW = "background-color: #fdecea"
_FIRST = ["case_id", "error", scoring.NOTHING_TO_GO_ON, "disposition", "likely", "red_flags"]


def _highlight_errors(row: pd.Series) -> list[str]:
    return [_ERROR_ROW if row["error"] else ""] * len(row)


def preview(frame: pd.DataFrame) -> None:
    """The first rows, rows with invalid cells tinted red, the results before the answers."""
    head = frame.head(PREVIEW_ROWS)
    order = [c for c in _FIRST if c in head.columns] + [c for c in head.columns if c not in _FIRST]
    styled = head.style.apply(_highlight_errors, axis=1) if "error" in head.columns else head
    st.dataframe(styled, column_order=order, hide_index=True,
                 column_config={"error": st.column_config.TextColumn(width="medium"),
                                scoring.NOTHING_TO_GO_ON: st.column_config.TextColumn(width="small")})


def warnings(lines) -> None:
    """The warnings about the file's header: the first few one by one, the rest summed up in one box."""
    for line in lines[:WARNINGS_SHOWN]:
        st.warning(shared.verbatim(line), icon=":material/spellcheck:")
    rest = lines[WARNINGS_SHOWN:]
    if rest:
        st.warning(f"\u2026 and {len(rest):,} more column(s) whose names are close to an answer's, passed through "
                   "unscored: check the header against the column list above.", icon=":material/spellcheck:")


def column_list(kb) -> None:
    """Every column with its meaning, and a template to fill in."""
    with st.expander("The columns a file may have, and what each one means", icon=":material/view_column:"):
        st.table(scoring.columns(kb), hide_index=True, border="horizontal")  # a table: its text wraps
    st.download_button("Download a template CSV (every column, no rows)", data=scoring.template_csv(kb),
                       file_name="twitch-triage-template.csv", mime="text/csv", key="template",
                       icon=":material/download:", on_click="ignore")


def forget_scored() -> None:
    """Delete the session's scored file, if any."""
    kept = st.session_state.pop("_scored", None)
    if kept is not None:
        kept[1].close()


def scored_for(upload, kb, predictor) -> scoring.Scored:
    """Score an upload once; reruns keep the result (on disk) in the session."""
    key = (upload.file_id, str(shared.models_dir()), predictor.metadata.get("created"))
    kept = st.session_state.get("_scored")
    if kept is None or kept[0] != key:
        forget_scored()  # the previous file goes first
        with st.spinner("Scoring…"):
            upload.seek(0)
            kept = (key, scoring.score_upload(upload, upload.name, predictor, kb, preview_rows=PREVIEW_ROWS))
        st.session_state["_scored"] = kept
    return kept[1]


kb = shared.knowledge_base_or_stop()
predictor = shared.predictor_or_stop(kb)
limit_mb = st.get_option("server.maxUploadSize")
st.title("Score a file", anchor=False)
st.markdown(
    "Upload a CSV with one case per row and a header naming the answers (`loc_eyelid`, `cramps`, "
    "`duration_days`, …: the list below gives every column and what it means, and the template has them all). "
    "Cells may say yes/no/unknown in the usual spellings (`1 0 y n true false`; blank or `?` for unknown); "
    "comma or semicolon delimited, UTF-8. Every row comes back with its probabilities, likely nutrients, "
    "disposition and red flags."
)
column_list(kb)
upload = st.file_uploader(f"CSV file, up to {limit_mb} MB", type=["csv"], key="upload",
                          help=f"Files larger than {limit_mb} MB: use `make score IN=… OUT=…` instead.")
if upload is None:
    forget_scored()
    st.caption("The file and its scored copy are kept in a temporary folder on this computer while you work "
               "with them, and deleted when you upload another file or soon after you close the page.")
    st.stop()

try:
    scored = scored_for(upload, kb, predictor)
except scoring.InputError as exc:
    st.error(shared.verbatim(str(exc)), icon=":material/error:")
    st.stop()
except Exception:  # noqa: BLE001 - whatever a file makes the library raise: one line here, the details in the log
    _LOG.exception("scoring an uploaded file failed")
    st.error("This file cannot be scored (an unexpected error, logged on the server): check that it is a CSV of "
             "cases whose header names the answers, or score it with `twitch-triage score` to see more.",
             icon=":material/error:")
    st.stop()

summary = scored.summary
warnings(summary.warnings)
rows, errors = summary.rows, summary.rows_with_errors
c1, c2, c3 = st.columns(3)
c1.metric("Rows scored", f"{rows:,}")
c2.metric("Need care beyond self-care", f"{rows - summary.dispositions.get('self_care', 0):,}")
c3.metric("Rows with invalid cells", f"{errors:,}")
if errors:
    st.warning(f"{errors:,} row(s) have cells that are not a valid answer (tinted red below; see the `error` "
               "column). Those cells were scored as unknown; the rest of the row still counts.",
               icon=":material/rule:")

if scored.without_answers:
    st.info(f"{scored.without_answers:,} row(s) hold not a single answer: there is nothing to go on for them. "
            "The scored file gives them `self_care` (no rule fired), as it gives every row a disposition; read it "
            "as \u201cnot enough answers\u201d, not as an all-clear (the preview's column \u201cnothing to go on\u201d "
            "marks them).",
            icon=":material/help:")

st.subheader("Dispositions", anchor=False)
st.altair_chart(charts.dispositions_chart(summary.dispositions), width="stretch")

st.subheader(f"Preview: first {len(scored.preview):,} of {rows:,} rows", anchor=False)
st.caption(f"At most {scoring.PREVIEW_CELLS:,} cells of at most {scoring.PREVIEW_CELL_CHARS} characters are shown; "
           "the download holds every row and column in full.")
preview(scored.preview)

stem = upload.name.rsplit(".", 1)[0] or "cases"
st.download_button("Download the scored CSV", data=scored.read_bytes, file_name=f"{stem}-scored.csv",
                   mime="text/csv", key="download", type="primary", icon=":material/download:", on_click="ignore")
