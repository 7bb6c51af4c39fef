"""The app's pages, one script each, run by ``st.navigation`` (see :func:`twitch_triage_app.run`)."""

__all__: list[str] = []
