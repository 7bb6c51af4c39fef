"""twitch-triage in the browser: check a case, score a file, read about the model.

Interface only: every page renders what the library (``twitch_triage.triage``)
returns. Run it with ``make app`` (or ``streamlit run app.py``). The model comes
from ``$TWITCH_TRIAGE_MODELS`` if set, else ``models/``.
"""

from __future__ import annotations

import streamlit as st

# The tab's icon is drawn in the page (an emoji): a ``:material/…:`` icon would be fetched from fonts.gstatic.com,
# and nothing this app shows may come from another host.
st.set_page_config(page_title="twitch-triage", page_icon="\N{STETHOSCOPE}", layout="wide")

# A session's first run imports the library and the pages' charts: say so at once rather than show a blank page.
loading = st.empty()
if "started" not in st.session_state:
    with loading.container():
        st.title("twitch-triage", anchor=False)
        st.caption(":material/hourglass_top: Loading the model…")

from twitch_triage_app import charts, shared  # noqa: E402,F401 - after the status: these imports take seconds

PAGES = [
    st.Page("twitch_triage_app/check_case.py", title="Check a case", icon=":material/fact_check:", default=True),
    st.Page("twitch_triage_app/score_file.py", title="Score a file", icon=":material/table_view:",
            url_path="score"),
    st.Page("twitch_triage_app/about_model.py", title="About the model", icon=":material/info:",
            url_path="about"),
]

# The page menu is a row of links in the page: Streamlit's own menu becomes a sidebar on a phone that stays
# open over most of the screen after a page is chosen.
page = st.navigation(PAGES, position="hidden")
shared.note_page(page.url_path)
loading.empty()
st.session_state["started"] = True
with st.container(horizontal=True, gap="small", key="pages"):
    for each in PAGES:
        st.page_link(each)
shared.disclaimer(shared.knowledge_base_or_stop())
page.run()
