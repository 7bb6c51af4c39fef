"""Hypothesis round-trips for batch scoring: whatever the cells or bytes, no crash, every row out."""

from __future__ import annotations

import csv
import io
import re

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twitch_triage import scoring
from twitch_triage.scoring import stream
from twitch_triage.io import casefiles
from twitch_triage import contract
from twitch_triage.io import files
from twitch_triage import cli
from twitch_triage.answers import AnswerError, invalid_message, parse_value

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SPELLINGS = sorted(contract.YES_SPELLINGS | contract.NO_SPELLINGS | contract.UNKNOWN_SPELLINGS) + [
    " Yes", "NO ", "Unknown", "N/A", "maybe", "-1", "3", "2.5", "1e9", "nan", "=1+1"]
# any text a spreadsheet could put in a cell: delimiters, quotes, line breaks, formula starts, non-ASCII
CELL = st.one_of(st.sampled_from(SPELLINGS), st.text(max_size=12),
                 st.text(alphabet=',;"\r\n\t =+-@\'x1é', max_size=8))
ANSWER_COLUMNS = ["loc_eyelid", "breathing_difficulty", "duration_days", "weakness"]


def is_invalid(answer: str, cell: str) -> bool:
    try:
        parse_value(answer, cell)
    except AnswerError:
        return True
    return False


@st.composite
def case_files(draw):
    answers = draw(st.lists(st.sampled_from(ANSWER_COLUMNS), min_size=1, max_size=4, unique=True))
    columns = draw(st.permutations([*answers, "case_id", "note"]))
    n = draw(st.integers(0, 12))
    rows = [[draw(CELL) for _ in columns] for _ in range(n)]
    delimiter = draw(st.sampled_from([",", ";"]))
    bom = draw(st.booleans())
    return columns, rows, delimiter, bom


def encode(columns, rows, delimiter: str, bom: bool) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def read_back(data: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


@SETTINGS
@given(case_files())
def test_any_cells_come_back_one_row_per_row_with_their_text_and_errors_named(tmp_path, predictor, kb, case):
    columns, rows, delimiter, bom = case
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(encode(columns, rows, delimiter, bom))
    summary = scoring.score_file(source, out, predictor, kb, block_size=2048)
    back = read_back(out.read_bytes(), delimiter)
    assert back[0] == [*columns, *contract.OUTPUT_COLUMNS]
    assert len(back) - 1 == len(rows) == summary.rows
    for row_in, row_out in zip(rows, back[1:]):
        for cell_in, cell_out in zip(row_in, row_out):
            assert cell_out in (cell_in, "'" + cell_in)  # as written, or neutralised
            assert cell_out == cell_in or cell_in[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")
        out = dict(zip(back[0], row_out))
        bad = [(a, cell) for a, cell in zip(columns, row_in) if a in ANSWER_COLUMNS and is_invalid(a, cell)]
        assert out["error"] == "; ".join(invalid_message(a, cell) for a, cell in bad)
        assert out["disposition"] in contract.LEVELS
        if "breathing_difficulty" in columns and row_in[columns.index("breathing_difficulty")].strip().lower() in \
                contract.YES_SPELLINGS:
            assert out["disposition"] == "emergency"


@SETTINGS
@given(st.binary(max_size=300), st.booleans())
def test_any_bytes_exit_0_or_2_without_a_traceback(tmp_path, small_model_dir, capsys, data, with_header):
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    out.unlink(missing_ok=True)
    source.write_bytes((b"loc_eyelid,note\n" if with_header else b"") + data)
    code = cli.main(["score", str(source), "-o", str(out), "--model", str(small_model_dir), "--quiet"])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("twitch-triage score: error: ") and err.count("\n") == 1
        assert not out.exists()
    else:
        assert out.exists()


@SETTINGS
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), max_size=40), st.integers(0, 40))
def test_a_chunk_scored_in_two_pieces_equals_it_scored_whole(predictor, kb, rows, cut):
    columns = ["weakness", "note", "duration_days"]
    table = pa.table({c: pa.array([row[j] for row in rows], pa.string()) for j, c in enumerate(columns)})
    whole = scoring.score_frame(table, predictor, kb)
    pieces = pa.concat_tables([scoring.score_frame(table.slice(0, cut), predictor, kb),
                               scoring.score_frame(table.slice(cut), predictor, kb)])
    assert whole.num_rows == len(rows)
    assert whole.equals(pieces)


@pytest.mark.parametrize("block_size", [2048, 8192])
@SETTINGS
@given(case=case_files())
def test_the_chunk_size_never_changes_the_output(tmp_path, predictor, kb, block_size, case):
    source = tmp_path / "in.csv"
    source.write_bytes(encode(*case))
    scoring.score_file(source, tmp_path / "a.csv", predictor, kb, block_size=block_size)
    scoring.score_file(source, tmp_path / "b.csv", predictor, kb, block_size=1 << 20)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


PLAIN_CELL = st.one_of(st.sampled_from(SPELLINGS), st.text(alphabet="xyz é\t=+-@'1.", max_size=6))


@st.composite
def plain_files(draw):
    """Files without a quote: line ends LF or CRLF (mixed), empty lines anywhere, maybe no final line end,
    and now and then a carriage return alone (a line end to the reader too)."""
    columns = ["case_id", *draw(st.lists(st.sampled_from(ANSWER_COLUMNS), min_size=1, max_size=4, unique=True))]
    delimiter = draw(st.sampled_from([",", ";"]))
    lines = [delimiter.join(columns)]
    for _ in range(draw(st.integers(0, 40))):
        lines += [""] * draw(st.sampled_from([0, 0, 0, 1, 2]))
        lines.append(delimiter.join(draw(PLAIN_CELL).replace(delimiter, "") for _ in columns))
    ends = [draw(st.sampled_from(["\n", "\n", "\r\n", "\r"] if draw(st.booleans()) else ["\n", "\r\n"]))
            for _ in lines]
    text = "".join(line + end for line, end in zip(lines, ends))
    return (text if draw(st.booleans()) else text.rstrip("\r\n")).encode("utf-8")


@SETTINGS
@given(plain_files(), st.sampled_from([256, 4096]))
def test_a_file_is_scored_as_its_rows_in_one_frame_each_line_as_written(tmp_path, predictor, kb, data, block_size):
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(data)
    delimiter = ";" if data.split(b"\n")[0].count(b";") > data.split(b"\n")[0].count(b",") else ","
    rows = [row for row in csv.reader(io.StringIO(data.decode(), newline=""), delimiter=delimiter) if row]
    if any(len(row) != len(rows[0]) for row in rows):
        with pytest.raises(files.InputError, match="fields but the header has"):
            scoring.score_file(source, out, predictor, kb, block_size=block_size)
        return
    scoring.score_file(source, out, predictor, kb, block_size=block_size)
    frame = scoring.score_frame(pa.table({name: [row[j] for row in rows[1:]] for j, name in enumerate(rows[0])}),
                                predictor, kb)
    expected = [list(row) for row in zip(*frame.to_pydict().values())]
    assert read_back(out.read_bytes(), delimiter) == [frame.column_names, *expected]
    lines_in = [line for line in re.split(rb"\r\n|\r|\n", data)[1:] if line]
    lines_out = out.read_bytes().split(b"\n")[1:-1]
    for line_in, line_out, row, scored in zip(lines_in, lines_out, rows[1:], expected):
        if scored[:len(row)] == row:  # nothing neutralised: the line as written, then the output cells
            assert line_out.startswith(line_in + delimiter.encode())


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
BLOCK_COLUMNS = ["case_id", "loc_eyelid", "weakness", "duration_days", "note"]
BLOCK_ANSWERS = {"loc_eyelid", "weakness", "duration_days"}
CONTRACT = sorted({v for w in contract.YES_SPELLINGS | contract.NO_SPELLINGS | contract.UNKNOWN_SPELLINGS
                   for v in (w, w.upper(), w.title())})
ODD = ["YeS", " yes ", "maybe", "nO ", "-1", "2.5", "=1+1", "Unknown ", "tRUE"]
TROUBLE = st.sampled_from(["long", "odd", "quoted", "special", "inch", "crlf"])


@st.composite
def cells_across_blocks(draw, column: str) -> tuple[str, bool]:
    """One cell and whether it is written in quotes though it need not be: mostly as a plain generated file
    has it, now and then long, oddly spelt, quoted, holding a delimiter, a quote or a line break, or with
    a quote that is text (not first in the cell)."""
    kind = draw(st.sampled_from(["plain"] * 6) | TROUBLE)
    if kind == "crlf":
        return draw(st.sampled_from(["p\r\nq", "\r\n", "p\r", "\r\n\r\n"])), False
    if kind == "inch":
        return draw(st.sampled_from(['5"', 'a"b', '1"""', ' "x', "x'"])), False
    if kind == "long":
        return "x" * draw(st.integers(40, 150)), False
    if kind == "quoted":
        return draw(st.sampled_from(CONTRACT + ["q", "c1"])), True
    if kind == "special":
        return draw(st.text(alphabet=',;"\r\n =-x', max_size=6)), False
    if column in BLOCK_ANSWERS:
        return draw(st.sampled_from(ODD if kind == "odd" else CONTRACT)), False
    return draw(st.sampled_from(["c1", "", "note", "-3", "=cmd"] if kind == "odd" else ["c1", "c22", ""])), False


@st.composite
def files_across_blocks(draw):
    """A case file (bytes), its delimiter, and whether one row has a field too many."""
    delimiter = draw(st.sampled_from([",", ";"]))
    end = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    ends = ["\n", "\r\n", "\r"] if end == "mixed" else [end]
    ragged = draw(st.booleans()) and draw(st.booleans())
    rows = draw(st.lists(st.tuples(*(cells_across_blocks(c) for c in BLOCK_COLUMNS)), max_size=80))
    extra = draw(st.integers(0, max(len(rows) - 1, 0))) if ragged and rows else None

    def field(cell: str, quoted: bool) -> str:
        if quoted or cell.startswith('"') or any(c in cell for c in (delimiter, "\r", "\n")):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    text = delimiter.join(BLOCK_COLUMNS)
    for i, row in enumerate(rows):
        text += draw(st.sampled_from(ends))
        text += (draw(st.sampled_from(["", "", "", "\n", "\r\n\r\n"])))  # blank lines
        text += delimiter.join(field(*cell) for cell in row) + (delimiter + "x" if i == extra else "")
    if draw(st.booleans()):
        text += "\n"
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8"), delimiter


class Trickle(io.RawIOBase):
    """A byte stream that gives at most ``most`` bytes a read, as a pipe may."""

    def __init__(self, data: bytes, most: int):
        super().__init__()
        self._data, self._most, self.name = memoryview(data), most, "in.csv"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self._most, len(self._data))
        buffer[:n], self._data = self._data[:n], self._data[n:]
        return n


def reference_records(data: bytes, delimiter: str) -> list[tuple[int, list[str]]]:
    """The data records as Python's csv module reads them (empty lines skipped), each with its first line."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    next(reader)
    records, line = [], reader.line_num
    for row in reader:
        if row:
            records.append((line + 1, row))
        line = reader.line_num
    return records


@settings(SETTINGS, max_examples=100)
@given(files_across_blocks(), st.sampled_from([512, 1024]), st.booleans(), st.sampled_from([None, 100, 700]))
def test_reading_typed_then_text_is_exact_wherever_the_block_boundaries_fall(tmp_path, predictor, kb, monkeypatch,
                                                                           case, block_size, strict, trickle):
    data, delimiter = case
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    source = f"'{path}'" if trickle is None else "'in.csv'"

    def run(out: str) -> bytes | str:
        try:
            scoring.score_file(path if trickle is None else Trickle(data, trickle), tmp_path / out, predictor, kb,
                               strict=strict, block_size=block_size)
        except files.InputError as exc:
            return str(exc)
        return (tmp_path / out).read_bytes()

    typed = run("typed.csv")
    with monkeypatch.context() as m:
        m.setattr(stream, "open_cases", lambda src, **kw: casefiles.open_cases(src, **{**kw, "typed": False}))
        assert run("text.csv") == typed

    records = reference_records(data, delimiter)
    invalid = [(line, [invalid_message(c, v) for c, v in zip(BLOCK_COLUMNS, row)
                       if c in BLOCK_ANSWERS and is_invalid(c, v)]) for line, row in records]
    errors = [(line, f"{source} line {line} has {len(row)} fields but the header has {len(BLOCK_COLUMNS)}: fix "
                     f"that row (a stray '{delimiter}' or a missing quote?)")
              for line, row in records if len(row) != len(BLOCK_COLUMNS)][:1]
    if strict:
        errors += [(line, f"{source} line {line}: {messages[0]} (--strict refuses") for (line, messages), (_, row)
                   in zip(invalid, records) if messages and len(row) == len(BLOCK_COLUMNS)][:1]
    if errors:  # the first in the file
        assert isinstance(typed, str) and typed.startswith(min(errors)[1]), typed
        return
    assert isinstance(typed, bytes), typed
    back = read_back(typed, delimiter)
    assert back[0] == [*BLOCK_COLUMNS, *contract.OUTPUT_COLUMNS]
    assert len(back) - 1 == len(records)
    for (_, row_in), (_, messages), row_out in zip(records, invalid, back[1:]):
        for cell_in, cell_out in zip(row_in, row_out):
            assert cell_out == cell_in or (cell_out == "'" + cell_in and cell_in.startswith(FORMULA_STARTS))
        assert row_out[-1] == "; ".join(messages)
