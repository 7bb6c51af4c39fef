"""Case files: their header, their records read a block at a time as Arrow batches with the physical line of
every row, and their cells as CSV holds them.

A module per seam: :mod:`.header` (delimiter, byte-order mark, answer columns), :mod:`.stream` (the bytes cut
into blocks of whole records), :mod:`.reader` (the blocks parsed, every error with its line) and :mod:`.cells`
(neutralising, quoting, text columns, CSV lines).
"""

from .cells import header_line, neutralise, write_frame
from .header import Header, answer_positions
from .reader import DEFAULT_BLOCK_SIZE, CaseReader, Chunk, open_cases

__all__ = ["Header", "answer_positions", "CaseReader", "Chunk", "open_cases", "DEFAULT_BLOCK_SIZE", "neutralise",
           "header_line", "write_frame"]
