"""twitch-triage in the browser: check a case, score a file, read about the model.

Interface only: every page renders what the library (``twitch_triage.triage``)
returns. Run it with ``make app`` (``python -m twitch_triage_app``, or ``streamlit run app.py``). The model comes
from ``$TWITCH_TRIAGE_MODELS`` if set, else ``models/``.
"""

import twitch_triage_app

twitch_triage_app.run()
