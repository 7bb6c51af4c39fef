"""twitch-triage in the browser: check a case, score a file, read about the model.

Interface only: every page renders what the library (``twitch_triage.triage``)
returns. Run it with ``make app`` (or ``streamlit run app.py``). The model comes
from ``$TWITCH_TRIAGE_MODELS`` if set, else ``models/``.
"""

from __future__ import annotations

import streamlit as st

from twitch_triage_app import shared

st.set_page_config(page_title="twitch-triage", page_icon=":material/neurology:", layout="wide")

PAGES = [
    st.Page("twitch_triage_app/check_case.py", title="Check a case", icon=":material/fact_check:", default=True),
    st.Page("twitch_triage_app/score_file.py", title="Score a file", icon=":material/table_view:",
            url_path="score"),
    st.Page("twitch_triage_app/about_model.py", title="About the model", icon=":material/info:",
            url_path="about"),
]

page = st.navigation(PAGES, position="top")
shared.disclaimer(shared.knowledge_base_or_stop())
page.run()
