"""What the app's pages share: the model and knowledge base, the disclaimer, charts, the interview, the result.

Its modules are imported by name (``from twitch_triage_app.ui import shared``), not re-exported here: the app
shows its loading status before the first of them, which load the library, is imported.
"""

__all__ = ["a11y", "advice", "case", "charts", "doctor_report", "nutrients", "result", "scoring", "shared", "what_if",
           "wizard"]
