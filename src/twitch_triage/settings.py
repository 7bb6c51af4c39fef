"""Settings: where the project's files are and what a deployment sets, read from the environment in one place.

A program builds one :class:`Settings` (``Settings.from_environment()``, or its own) and passes it down; the
command line builds it once per command, the app once per session. Nothing here is read at import.

Environment variables:

``TWITCH_TRIAGE_ROOT``
    The project folder (``data/``, ``models/``, ``reports/``); default: the folder this package is in.
``TWITCH_TRIAGE_MODELS``
    The model folder; default ``models/`` in the project folder.
``TWITCH_TRIAGE_EMERGENCY_NUMBER``
    The emergency number to show (e.g. ``112``, ``+44 999``): a setting, not a fact, since it depends on the
    country where the app runs. Digits, spaces, ``+`` and ``-`` only; anything else counts as unset.
``TWITCH_TRIAGE_DEBUG``
    Set (to anything) for a traceback after an unexpected error, as well as the one-line message.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

__all__ = ["Settings", "EMERGENCY_NUMBER_ENV", "EMERGENCY_NUMBER_DEFAULT_TEXT"]

ROOT_ENV = "TWITCH_TRIAGE_ROOT"
MODELS_ENV = "TWITCH_TRIAGE_MODELS"
EMERGENCY_NUMBER_ENV = "TWITCH_TRIAGE_EMERGENCY_NUMBER"
DEBUG_ENV = "TWITCH_TRIAGE_DEBUG"
EMERGENCY_NUMBER_DEFAULT_TEXT = "your local emergency number"
_PHONE_NUMBER = re.compile(r"[0-9+\- ]*[0-9][0-9+\- ]*")  # digits, spaces, + and -; at least one digit
_INSTALLED_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    """Where the project's files are, and what a deployment sets.

    Parameters
    ----------
    root : the project folder; ``data/knowledge_base.yaml``, ``data/seeds/`` and ``reports/`` are in it.
    models_dir : the model folder (``models/`` in ``root`` unless set).
    emergency_number : the number to call in an emergency, or None when none is configured.
    debug : show a traceback after an unexpected error.
    """

    root: Path = _INSTALLED_ROOT
    models_dir: Path | None = None
    emergency_number: str | None = None
    debug: bool = False
    # from root: data/ (the knowledge base, its sources, the vignettes, the FHIR codes) and reports/
    data_dir: Path = field(init=False)
    kb_path: Path = field(init=False)
    seeds_dir: Path = field(init=False)
    reports_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        root = Path(self.root)
        for name, value in (("root", root), ("models_dir", Path(self.models_dir) if self.models_dir else root / "models"),
                            ("data_dir", root / "data"), ("kb_path", root / "data" / "knowledge_base.yaml"),
                            ("seeds_dir", root / "data" / "seeds"), ("reports_dir", root / "reports")):
            object.__setattr__(self, name, value)  # (frozen)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``environ`` (default ``os.environ``); see the module's list of variables."""
        env = os.environ if environ is None else environ
        number = env.get(EMERGENCY_NUMBER_ENV, "").strip()
        return cls(root=Path(env.get(ROOT_ENV) or _INSTALLED_ROOT), models_dir=env.get(MODELS_ENV) or None,
                   emergency_number=number if _PHONE_NUMBER.fullmatch(number) else None,
                   debug=bool(env.get(DEBUG_ENV)))

    @property
    def emergency_number_text(self) -> str:
        """What a text's ``{emergency_number}`` becomes: the configured number, or "your local emergency number"."""
        return self.emergency_number or EMERGENCY_NUMBER_DEFAULT_TEXT
