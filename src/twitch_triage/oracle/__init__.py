"""The generator of synthetic cases and its exact posterior (the Bayes oracle).

Modules: :mod:`.noisy_or` (the knowledge base compiled into a noisy-OR network, its exact posterior and
draws given answers), :mod:`.sampling` (synthetic cases, whole or in chunks, and as contract frames),
:mod:`.triggers` (unknown lifestyle triggers summed out), :mod:`.states` (the 0/1 states of n items).
"""

from .noisy_or import NoisyOrModel, compile_model
from .sampling import SAMPLE_ROWS, Cases, sample_cases, sample_chunks
from .states import binary_states

__all__ = ["Cases", "NoisyOrModel", "SAMPLE_ROWS", "binary_states", "compile_model", "sample_cases", "sample_chunks"]
