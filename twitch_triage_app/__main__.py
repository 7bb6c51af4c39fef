"""``python -m twitch_triage_app [streamlit options]``: the app's server (what ``make app`` runs), with the guard for
an address Streamlit cannot read in place before its first session.

``streamlit run app.py`` serves the same app; there, the guard is installed when a session first runs the app,
after Streamlit has read that session's address, so the server's very first session hears of an address dropped
whole (more than 1,000 parameters) only on its next rerun. Here it is installed before the server starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.web import cli

from .ui.case import keep_word_of_an_unread_address

APP = Path(__file__).resolve().parents[1] / "app.py"


def main(argv: list[str] | None = None) -> int:
    """Serve ``app.py`` in this process, as ``streamlit run app.py`` with ``argv`` (Streamlit's options) would."""
    keep_word_of_an_unread_address()  # (importing ui.case installs it too; said here, where it matters)
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
