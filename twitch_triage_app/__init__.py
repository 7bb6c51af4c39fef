"""The Streamlit interface of twitch-triage: pages over the library, no logic of their own (see app.py)."""
