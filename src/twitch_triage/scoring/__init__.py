"""Batch scoring: parse, score and write case files, one file or a folder of shards, locally or on Dask.

A module per job: :mod:`.parse` (answers from Arrow columns), :mod:`.format` (output columns as Arrow text),
:mod:`.frame` (one chunk scored), :mod:`.stream` (a file streamed through), :mod:`.workers` (the reading and
writing threads), :mod:`.blas` (the model on one BLAS thread), :mod:`.memory` (the allocators of a scoring
process), :mod:`.task` (one shard), :mod:`.groups` (small shards scored together), :mod:`.manifest` and
:mod:`.shards` (a run over shards), :mod:`.dask_engine` (that run on Dask; imported only when asked for).
"""

from .blas import one_blas_thread
from .frame import score_frame
from .memory import lean_memory_pool
from .stream import ScoreSummary, score_file

__all__ = ["score_frame", "score_file", "ScoreSummary", "lean_memory_pool", "one_blas_thread"]
