"""The knowledge base: its schema (frozen dataclasses), and loading and validating its file.

Modules: :mod:`.schema` (the dataclasses, texts and placeholders), :mod:`.safe_yaml` (reading the YAML
defensively), :mod:`.reader` and :mod:`.sections` (one loader per section), :mod:`.graph` (the order of
the labels that raise each other), :mod:`.loader` (:func:`load`, :func:`load_default`).
"""

from .graph import label_order
from .loader import load, load_cached, load_default
from .schema import (PLACEHOLDERS, TEXTS, Answer, Cited, Duration, Group, KnowledgeBase, KnowledgeBaseError, Label,
                     Level, Link, Missingness, Pattern, RedFlagRule, RiskFactor, Source, Trigger)

__all__ = [
    # the schema
    "KnowledgeBase", "KnowledgeBaseError", "Source", "Cited", "Answer", "Group", "Label", "Link", "RiskFactor",
    "Trigger", "Level", "RedFlagRule", "Pattern", "Duration", "Missingness", "PLACEHOLDERS", "TEXTS",
    # loading a file, and the order of the labels
    "load", "load_cached", "load_default", "label_order",
]
