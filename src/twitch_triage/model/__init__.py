"""The model: estimators, the numpy forward pass, its files and manifest, training, evaluation and its card.

What scoring needs is re-exported here, light to import (numpy, no scikit-learn); the estimators, training,
evaluation, the card and the vignettes are imported from their modules.
"""

from .artifact import ArtifactError, Predictor, check_against, load, read_manifest, save
from .manifest import STALE_WARNING, learned_from

__all__ = ["ArtifactError", "Predictor", "load", "save", "check_against", "read_manifest", "STALE_WARNING",
           "learned_from"]
