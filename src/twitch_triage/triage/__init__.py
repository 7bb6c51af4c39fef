"""Triage: the red-flag rules, the outputs of many cases, and one case with its evidence."""

from __future__ import annotations

from . import redflags
from .case import Assessment, Evidence, LabelResult, assess, case_vector
from .outputs import Outputs, Scorer, likely_picks, outputs, probabilities

__all__ = ["redflags", "Scorer", "Outputs", "probabilities", "likely_picks", "outputs",
           "Evidence", "LabelResult", "Assessment", "case_vector", "assess"]
