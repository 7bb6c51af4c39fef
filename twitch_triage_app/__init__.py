"""The Streamlit interface of twitch-triage: :func:`run` draws the page menu and runs the page chosen.

Pages (``pages/``, one script each) render what the library returns; ``ui/`` holds what they share (the model
loaded once, the disclaimer, the charts, the interview, the result's sections). ``app.py`` only calls :func:`run`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

__all__ = ["run", "PAGES"]

_HERE = Path(__file__).resolve().parent
# Each page: its script, then st.Page's title, icon and address; the first is the default page.
PAGES = (
    ("pages/check_case.py", "Check a case", ":material/fact_check:", None),
    ("pages/score_file.py", "Score a file", ":material/table_view:", "score"),
    ("pages/about_model.py", "About the model", ":material/info:", "about"),
)


def run() -> None:
    """Draw the app: the loading status on a session's first run, the page links, the disclaimer, the page."""
    # The tab's icon is drawn in the page (an emoji): a ``:material/…:`` icon would be fetched from
    # fonts.gstatic.com, and nothing this app shows may come from another host.
    st.set_page_config(page_title="twitch-triage", page_icon="\N{STETHOSCOPE}", layout="wide")

    # A session's first run imports the library and the pages' charts: say so at once rather than show a blank page.
    loading = st.empty()
    if "started" not in st.session_state:
        with loading.container():
            st.title("twitch-triage", anchor=False)
            st.caption(":material/hourglass_top: Loading the model…")

    from .ui import charts, shared  # noqa: F401 - after the status: these imports take seconds

    pages = [st.Page(_HERE / script, title=title, icon=icon, default=i == 0, url_path=url_path)
             for i, (script, title, icon, url_path) in enumerate(PAGES)]
    # The page menu is a row of links in the page: Streamlit's own menu becomes a sidebar on a phone that stays
    # open over most of the screen after a page is chosen.
    page = st.navigation(pages, position="hidden")
    shared.note_page(page.url_path)
    loading.empty()
    st.session_state["started"] = True
    with st.container(horizontal=True, gap="small", key="pages"):
        for each in pages:
            st.page_link(each)
    shared.disclaimer(shared.knowledge_base_or_stop())
    page.run()
