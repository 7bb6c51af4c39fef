"""The ``twitch-triage`` command line: thin commands over the library, each module one command and its options.

``main`` (in :mod:`.main`) parses, builds the :class:`~twitch_triage.settings.Settings` once and runs the command;
each command module has ``add(subparsers)`` (its options, help and example) beside ``run(args, settings)``.
"""

from .main import build_parser, main

__all__ = ["main", "build_parser"]
