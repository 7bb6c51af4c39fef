"""Reading case files (casefiles), scoring chunks and streaming them out (batch), written whole (files): the
library under `twitch-triage score`."""

from __future__ import annotations

import csv
import io
import resource
import signal
import sys
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from twitch_triage import scoring
from twitch_triage.scoring import stream
from twitch_triage.io import casefiles
from twitch_triage import contract
from twitch_triage.io import files
from twitch_triage import oracle
from twitch_triage import triage
from twitch_triage.answers import parse_column

import reference_triage


def write(path, text: str | bytes):
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def read_rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle, delimiter=";" if b";" in path.read_bytes().split(b"\n")[0] else ","))


def table(**columns: list[str]) -> pa.Table:
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


@pytest.fixture(scope="module")
def cases_csv(tmp_path_factory, kb):
    """A contract file of 3,000 generated cases, answers spelt as the generator writes them."""
    frame = oracle.sample_cases(kb, 3_000, seed=21).to_frame()
    path = tmp_path_factory.mktemp("cases") / "cases.csv"
    frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- the header


def test_a_semicolon_header_with_a_bom_is_read_as_semicolon_delimited(tmp_path):
    path = write(tmp_path / "in.csv", b"\xef\xbb\xbfcase_id;loc_eyelid;notes\n1;yes;a,b\n")
    with casefiles.open_cases(path) as reader:
        assert reader.header.delimiter == ";"
        assert reader.header.bom
        assert reader.header.names == ("case_id", "loc_eyelid", "notes")
        batch = next(iter(reader))
    assert batch.column(2).to_pylist() == ["a,b"]


def test_answer_columns_are_found_whatever_their_case_and_surrounding_spaces(tmp_path):
    path = write(tmp_path / "in.csv", "note, Loc_Eyelid ,CRAMPS\nx,yes,no\n")
    with casefiles.open_cases(path) as reader:
        assert reader.header.answers == {"loc_eyelid": 1, "cramps": 2}


def test_a_column_close_to_an_answer_name_gets_a_did_you_mean_warning(tmp_path):
    path = write(tmp_path / "in.csv", "loc_eyelids,cramps,magnesium\nyes,no,1\n")
    with casefiles.open_cases(path) as reader:
        assert reader.header.warnings == (
            "column 'loc_eyelids' is not an answer; did you mean loc_eyelid? (passed through unscored)",
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "'{p}' is empty: give a CSV whose first line names the answer columns (see `twitch-triage schema`)"),
        (b"\xef\xbb\xbf\n\n", "'{p}' is empty"),
        (b" \nloc_eyelid\nyes\n", "'{p}' line 1 is blank: give a CSV whose first line names the answer columns"),
        (b"a,b\n1,2\n", "'{p}' has none of the answer columns (e.g. loc_eyelid, loc_face, loc_mouth): "
                        "name the columns as `twitch-triage schema` lists them"),
        (b"loc_eyelid,a,a\n1,2,3\n", "'{p}' line 1: column 'a' appears twice (fields 2 and 3): rename or remove one"),
        (b"loc_eyelid,LOC_EYELID\n1,2\n", "'{p}': columns 'loc_eyelid' and 'LOC_EYELID' are both the answer "
                                          "loc_eyelid: keep one of them"),
        (b"loc_eyelid,p_iron\n1,2\n", "'{p}' already has the output column 'p_iron' (a scored file?)"),
        (b"loc_eyelid,caf\xe9\n1,2\n", "'{p}' is not UTF-8 (byte 0xe9 at line 1): re-save it as UTF-8"),
        (b"\xff\xfel\x00o\x00c\x00", "'{p}' is UTF-16, not UTF-8: re-save it as UTF-8"),
    ],
)
def test_an_unusable_header_is_refused_with_a_message_that_says_what_to_do(tmp_path, content, message):
    path = write(tmp_path / "in.csv", content)
    with pytest.raises(files.InputError) as caught:
        casefiles.open_cases(path)
    assert str(caught.value).startswith(message.format(p=path))
    assert "\n" not in str(caught.value)


def test_a_missing_input_file_is_an_input_error(tmp_path):
    with pytest.raises(files.InputError, match="input file '.*nope.csv' does not exist: check the path"):
        casefiles.open_cases(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- the rows


def rows_of(path, **kwargs) -> list[list[str]]:
    with casefiles.open_cases(path, **kwargs) as reader:
        return [row for batch in reader for row in zip(*(c.to_pylist() for c in batch.columns))]


def test_quoted_cells_keep_their_delimiters_quotes_and_line_breaks(tmp_path):
    path = write(tmp_path / "in.csv", 'loc_eyelid,note\nyes,"a,b ""c""\nd"\n  no ,x\n')
    assert rows_of(path) == [("yes", 'a,b "c"\nd'), ("  no ", "x")]


@pytest.mark.parametrize("block_size", [80, 1 << 20])
def test_a_row_with_the_wrong_number_of_fields_is_refused_with_its_physical_line(tmp_path, block_size):
    lines = ["loc_eyelid,note"] + ['yes,"two\nlines"'] * 30 + ["no,x,extra"] + ["yes,y"] * 5
    path = write(tmp_path / "in.csv", "\n".join(lines) + "\n")
    with pytest.raises(files.InputError) as caught:
        rows_of(path, block_size=block_size)
    assert str(caught.value) == (f"'{path}' line 62 has 3 fields but the header has 2: fix that row "
                                 "(a stray ',' or a missing quote?)")


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_empty_lines_count_in_the_line_of_a_row_with_the_wrong_number_of_fields(tmp_path, predictor, kb, end):
    lines = ["loc_eyelid,note", "", "yes,a"] + ["", "no,b"] * 1_000 + ["", "", "yes,c,extra", "no,d"]
    path = write(tmp_path / "in.csv", end.join(lines) + end)
    expected = (f"'{path}' line 2006 has 3 fields but the header has 2: fix that row "
                "(a stray ',' or a missing quote?)")
    with pytest.raises(files.InputError) as caught:
        rows_of(path, block_size=4096)
    assert str(caught.value) == expected
    with pytest.raises(files.InputError) as caught:
        scoring.score_file(path, tmp_path / "out.csv", predictor, kb, block_size=4096)
    assert str(caught.value) == expected


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_errors_after_quoted_cells_and_blank_lines_name_their_physical_line(tmp_path, predictor, kb, end):
    lines = ["loc_eyelid,note", "", '"yes","a ""b"" c"', 'no,"two', "", 'lines"', "", "", 'yes,5" tall']
    path = write(tmp_path / "in.csv", end.join([*lines, "maybe,x", "no,y,extra", 'no,"open', "yes,z"]) + end)
    with pytest.raises(files.InputError, match=r"line 10: loc_eyelid: 'maybe' is not yes/no/unknown"):
        scoring.score_file(path, tmp_path / "out.csv", predictor, kb, strict=True, block_size=4096)
    with pytest.raises(files.InputError, match=r"line 11 has 3 fields but the header has 2"):
        scoring.score_file(path, tmp_path / "out.csv", predictor, kb, block_size=4096)
    path = write(tmp_path / "in.csv", end.join([*lines, 'no,"open', "yes,z"]) + end)
    with pytest.raises(files.InputError, match=r"line 10: a quoted field is never closed"):
        rows_of(path)


def test_empty_lines_count_in_the_line_of_the_first_invalid_cell_under_strict(tmp_path, predictor, kb):
    lines = ["loc_eyelid,note"] + ["yes,a", ""] * 1_500 + ["maybe,b"]
    path = write(tmp_path / "in.csv", "\n".join(lines) + "\n")
    with pytest.raises(files.InputError, match=r"line 3002: loc_eyelid: 'maybe' is not yes/no/unknown"):
        scoring.score_file(path, tmp_path / "out.csv", predictor, kb, strict=True, block_size=4096)


def test_a_byte_that_is_not_utf8_far_into_the_file_is_reported_with_its_line(tmp_path):
    body = "".join(f"yes,row {i}\n" for i in range(5_000))
    path = write(tmp_path / "in.csv", b"loc_eyelid,note\n" + body.encode() + b"no,caf\xe9\n")
    with pytest.raises(files.InputError) as caught:
        rows_of(path, block_size=4096)
    assert str(caught.value) == f"'{path}' is not UTF-8 (byte 0xe9 at line 5002): re-save it as UTF-8"


def test_a_stray_continuation_byte_first_after_the_header_is_reported_with_its_line(tmp_path):
    path = write(tmp_path / "in.csv", b"loc_eyelid,note\n\x80yes,a\n")
    with pytest.raises(files.InputError) as caught:
        rows_of(path)
    assert str(caught.value) == f"'{path}' is not UTF-8 (byte 0x80 at line 2): re-save it as UTF-8"


def test_a_quote_never_closed_is_refused_instead_of_swallowing_the_rest_of_the_file(tmp_path):
    path = write(tmp_path / "in.csv", 'loc_eyelid,note\nyes,x\nno,"open\nyes,y\nno,z\n')
    with pytest.raises(files.InputError, match="line 3: a quoted field is never closed"):
        rows_of(path)


def test_a_row_longer_than_a_chunk_is_refused_with_what_to_do(tmp_path):
    path = write(tmp_path / "in.csv", "loc_eyelid,note\nyes,short\nno," + "x" * 5000 + "\n")
    with pytest.raises(files.InputError, match=r"a row from line 3 on is longer than 1,024 bytes, more than is read "
                                               "at a time: split or shorten its cells"):
        rows_of(path, block_size=1024)


def csv_rows(data: bytes, delimiter: str = ",") -> list[list[str]]:
    """The data rows as Python's csv module reads them (empty lines skipped): the reference."""
    return [row for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
            if row][1:]


@pytest.mark.parametrize("pad", range(0, 200, 9))
def test_a_file_read_typed_then_as_text_from_a_quoted_cell_on_is_never_refused(tmp_path, predictor, kb, pad):
    # typed blocks, then a quoted cell past the header's first read: its block on read as text, at any alignment
    rows = [f"c{i},{'yes' if i % 2 else 'no'},{'x' * 150}" for i in range(1_500)]
    rows[0] = "c" + "0" * pad + rows[0][2:]
    rows[1_000] = '"q"' + rows[1_000][len("c1000"):]
    data = ("case_id,loc_eyelid,note\n" + "\n".join(rows) + "\n").encode()
    path = write(tmp_path / "in.csv", data)
    scoring.score_file(path, tmp_path / "out.csv", predictor, kb, block_size=1024)
    assert [row[:3] for row in csv_rows((tmp_path / "out.csv").read_bytes())] == csv_rows(data)


def across_the_first_read(head: str, before: str) -> str:
    """Rows of filler after ``head``, so that ``before`` then ends at the last byte of the first read (64 KB)."""
    size = 65_536 - len(head) - len(before)
    filler = ["no," + "x" * 496 + "\n"] * (size // 500 - 1)
    return "".join(filler) + "no," + "x" * (size - 500 * len(filler) - 4) + "\n"


@pytest.mark.parametrize("shift", range(-2, 3))
@pytest.mark.parametrize("typed", [False, True])
def test_a_quoted_line_break_across_two_reads_is_one_line_end(tmp_path, typed, shift):
    head = "loc_eyelid,note\n"
    data = head + across_the_first_read(head, 'yes,"p\r'[:len('yes,"p\r') + shift]) + 'yes,"p\r\nq"\n'
    path = write(tmp_path / "in.csv", data + "no,x,extra\n" + "no,y\n" * 3)
    with pytest.raises(files.InputError, match=f"line {data.count(chr(10)) + 1} has 3 fields"):
        rows_of(path, block_size=1024, typed=typed)
    path = write(tmp_path / "in.csv", data)
    assert [note for _, note in rows_of(path, block_size=1024, typed=typed)][-1] == "p\r\nq"


@pytest.mark.parametrize("shift", range(-2, 3))
def test_a_doubled_quote_across_two_reads_stays_in_its_cell(tmp_path, shift):
    head = "loc_eyelid,note\n"
    data = head + across_the_first_read(head, 'yes,"a"'[:len('yes,"a"') + shift]) + 'yes,"a""\nb"\n'
    path = write(tmp_path / "in.csv", data + "no,x,extra\n" + "no,y\n" * 3)
    with pytest.raises(files.InputError, match=f"line {data.count(chr(10)) + 1} has 3 fields"):
        rows_of(path, block_size=1024)
    path = write(tmp_path / "in.csv", data)
    assert [note for _, note in rows_of(path, block_size=1024)][-1] == 'a"\nb'


def test_typed_reading_gives_yes_no_answers_as_booleans_until_a_cell_is_not_a_plain_spelling(tmp_path):
    body = "".join(f"c{i},{'Yes' if i % 3 else 'no'},,{i % 5}\n" for i in range(2_000))
    path = write(tmp_path / "in.csv", "case_id,loc_eyelid,numbness,duration_days\n" + body + "c,maybe,YES,1\n")
    with casefiles.open_cases(path, typed=True, block_size=4096) as reader:
        chunks = list(reader.chunks())
    kinds = [str(chunk.batch.schema.field("loc_eyelid").type) for chunk in chunks]
    assert kinds[0] == "bool" and kinds[-1] == "string" and kinds == sorted(kinds)  # booleans, then text
    assert all(chunk.records is not None for chunk in chunks)  # no quote: each chunk has its records
    rows = [r for chunk in chunks for r in zip(*(c.to_pylist() for c in chunk.batch.columns))]
    assert len(rows) == 2_001 and rows[0] == ("c0", False, None, "0") and rows[-1] == ("c", "maybe", "YES", "1")
    assert [chunk.line for chunk in chunks] == [2 + sum(len(c.batch) for c in chunks[:k]) for k in range(len(chunks))]
    assert "".join(f"{r}\n" for chunk in chunks for r in chunk.records.to_pylist()) == body + "c,maybe,YES,1\n"


@pytest.mark.parametrize("late", ["x,maybe\n", 'x,"yes"\n', "x,caf\xe9\n", "x,yes,extra\n"])
def test_a_problem_late_in_a_file_read_typed_is_reported_or_scored_as_when_read_as_text(tmp_path, predictor, kb,
                                                                                       monkeypatch, late):
    body = "".join(f"c{i},{'yes' if i % 2 else ''}\n" for i in range(3_000))
    path = write(tmp_path / "in.csv", ("case_id,loc_eyelid\n" + body + late).encode("latin-1"))

    def run(out):
        try:
            scoring.score_file(path, tmp_path / out, predictor, kb, block_size=4096)
            return read_rows(tmp_path / out)
        except files.InputError as exc:
            return str(exc)

    typed = run("typed.csv")
    monkeypatch.setattr(stream, "open_cases", lambda source, **kw: casefiles.open_cases(source, **{**kw, "typed": False}))
    assert run("text.csv") == typed
    assert isinstance(typed, str) == (late != 'x,"yes"\n' and late != "x,maybe\n")


def test_a_header_without_rows_reads_as_no_rows(tmp_path):
    assert rows_of(write(tmp_path / "in.csv", "loc_eyelid,cramps\n")) == []


# --------------------------------------------------------------------------- scoring a chunk


def test_score_frame_gives_the_same_results_as_triage_assess_matrix(predictor, kb, cases_csv):
    frame = pd.read_csv(cases_csv, dtype=str, keep_default_na=False)
    scored = scoring.score_frame(pa.Table.from_pandas(frame, preserve_index=False), predictor, kb)
    X = np.column_stack([parse_column(a, frame[a].tolist())[0] for a in predictor.answer_ids])
    expected = reference_triage.assess_matrix(X, predictor, kb)
    P = np.column_stack([np.asarray(scored.column(f"p_{label}").to_pylist(), float) for label in contract.LABELS])
    assert np.abs(P - expected.P).max() <= 0.5e-4 + 1e-12
    assert scored.column("likely").to_pylist() == expected.likely
    assert scored.column("disposition").to_pylist() == list(expected.disposition)
    assert scored.column("red_flags").to_pylist() == expected.red_flags
    assert set(scored.column("error").to_pylist()) == {""}


def test_the_output_columns_follow_the_input_columns_in_the_contract_order(predictor, kb):
    scored = scoring.score_frame(table(zeta=["1"], loc_face=["yes"], alpha=["2"]), predictor, kb)
    assert scored.column_names == ["zeta", "loc_face", "alpha", *contract.OUTPUT_COLUMNS]


def test_probabilities_are_written_with_exactly_four_decimals(predictor, kb):
    scored = scoring.score_frame(table(loc_eyelid=["yes", "no", ""]), predictor, kb)
    for label in contract.LABELS:
        for text in scored.column(f"p_{label}").to_pylist():
            assert len(text) == 6 and text[1] == "." and 0 <= float(text) <= 1


def test_an_invalid_cell_is_named_in_error_scored_as_unknown_and_red_flags_still_apply(predictor, kb):
    scored = scoring.score_frame(table(case_id=["a", "b"], breathing_difficulty=["yes", "yes"],
                                     cramps=["sometimes", ""], duration_days=["-2", ""]), predictor, kb)
    assert scored.column("error").to_pylist() == [
        "cramps: 'sometimes' is not yes/no/unknown; duration_days: '-2' is not a number of days >= 0 or unknown", "",
    ]
    assert scored.column("disposition").to_pylist() == ["emergency", "emergency"]
    assert scored.column("red_flags").to_pylist() == ["breathing_difficulty", "breathing_difficulty"]
    p = [scored.column(f"p_{label}").to_pylist() for label in contract.LABELS]
    assert all(row[0] == row[1] for row in p)  # the invalid answers count as unknown


def test_an_unknown_or_invalid_answer_never_fires_a_red_flag(predictor, kb):
    unknowns = ["", "unknown", "?", "na", "N/A", "  ", "perhaps"]
    flagged = {a for rule in kb.red_flags for a in rule.answers}
    scored = scoring.score_frame(table(**{a: unknowns for a in flagged}), predictor, kb)
    assert scored.column("disposition").to_pylist() == ["self_care"] * len(unknowns)
    assert scored.column("red_flags").to_pylist() == [""] * len(unknowns)


def test_a_day_count_too_large_for_the_model_is_scored_as_the_longest_not_a_crash(predictor, kb):
    out = scoring.score_frame(table(duration_days=["1" + "0" * 300, "99999999999999999999999999999999999999999"],
                                    loc_eyelid=["yes", "no"]), predictor, kb)
    # an eyelid twitch that lasts makes magnesium about as likely as not (the oracle: 0.55), so probable_deficiency
    # may follow long_duration on the first row, as the model has it
    first, second = out.column("red_flags").to_pylist()
    assert first in ("long_duration", "long_duration;probable_deficiency") and second == "long_duration"
    assert out.column("error").to_pylist() == ["", ""]
    assert all(0 <= float(p) <= 1 for name in out.column_names if name.startswith("p_")
               for p in out.column(name).to_pylist())
    assert triage.assess({"duration_days": 1e300}, predictor, kb).disposition == "see_doctor"


def test_every_contract_spelling_is_read_case_and_whitespace_insensitively(predictor, kb):
    yes = [" YES", "y", "True ", "T", "1"]
    no = ["no", " N ", "FALSE", "f", "0"]
    scored = scoring.score_frame(table(weakness=yes + no), predictor, kb)
    assert scored.column("disposition").to_pylist() == ["see_doctor"] * 5 + ["self_care"] * 5
    assert set(scored.column("error").to_pylist()) == {""}


@pytest.mark.parametrize(
    ("cell", "written"),
    [("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("\nx", "'\nx"), ("-3", "-3"), ("-1.5", "-1.5"), ("+2e3", "+2e3"), ("a=b", "a=b"), ("", "")],
)
def test_formula_like_text_cells_get_a_leading_quote_and_numbers_do_not(cell, written):
    assert casefiles.neutralise(pa.array([cell, None])).to_pylist() == [written, None]


def test_a_pandas_frame_comes_back_as_a_frame_with_its_index(predictor, kb):
    frame = pd.DataFrame({"case_id": ["x", "y"], "numbness": ["yes", "no"]}, index=[10, 11])
    scored = scoring.score_frame(frame, predictor, kb)
    assert isinstance(scored, pd.DataFrame)
    assert list(scored.index) == [10, 11]
    assert list(scored["disposition"]) == ["see_doctor", "self_care"]


def test_scoring_a_chunk_twice_or_in_pieces_gives_the_same_rows(predictor, kb, cases_csv):
    data = pa.csv.read_csv(cases_csv, convert_options=pa.csv.ConvertOptions(
        column_types={n: pa.string() for n in cases_csv.read_text().split("\n", 1)[0].split(",")}))
    whole = scoring.score_frame(data, predictor, kb)
    pieces = pa.concat_tables([scoring.score_frame(data.slice(0, 1234), predictor, kb),
                               scoring.score_frame(data.slice(1234), predictor, kb)])
    assert whole.equals(scoring.score_frame(data, predictor, kb))
    assert whole.equals(pieces)


# --------------------------------------------------------------------------- scoring a file


def test_a_file_of_many_chunks_is_scored_exactly_as_in_one_chunk(tmp_path, predictor, kb, cases_csv):
    scoring.score_file(cases_csv, tmp_path / "small.csv", predictor, kb, block_size=8 << 10)
    scoring.score_file(cases_csv, tmp_path / "one.csv", predictor, kb, block_size=64 << 20)
    assert (tmp_path / "small.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert len(read_rows(tmp_path / "one.csv")) == 3_000


def test_a_plain_file_is_written_back_byte_for_byte_before_the_output_columns(tmp_path, predictor, kb, cases_csv):
    scoring.score_file(cases_csv, tmp_path / "out.csv", predictor, kb, block_size=8 << 10)
    lines_in = cases_csv.read_text(encoding="utf-8").splitlines()
    lines_out = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines_out) == len(lines_in) == 3_001
    assert all(out.startswith(line + ",") for line, out in zip(lines_in, lines_out))
    assert '"' not in "".join(lines_out)  # nothing needed quotes: empty cells stay bare, not ""


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_cells_that_need_quotes_are_quoted_wherever_they_appear_and_read_back_as_written(tmp_path, predictor, kb,
                                                                                        delimiter):
    notes = ["plain"] * 300 + ['a, b; "c"\nd', "", "tail"] + ["plain"] * 300  # quotes only from a later chunk on
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["note", "loc_eyelid", "numbness", "weakness", "loc_hands", "loc_feet"])
    for i, note in enumerate(notes):
        writer.writerow([note, "yes", "yes" if i % 2 else "", "yes" if i % 3 else "no", "yes", "yes"])
    path = write(tmp_path / "in.csv", buffer.getvalue())
    scoring.score_file(path, tmp_path / "out.csv", predictor, kb, block_size=4096)
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"), newline=""),
                           delimiter=delimiter))
    assert [row[0] for row in rows[1:]] == notes
    assert {len(row) for row in rows} == {6 + len(contract.OUTPUT_COLUMNS)}
    flags = [row[rows[0].index("red_flags")] for row in rows[1:]]
    # (then probable_deficiency, if the model gives a nutrient 0.5 or more)
    assert flags[1].startswith("weakness;numbness;multiple_locations") and flags[0].startswith("multiple_locations")


def test_the_summary_counts_rows_errors_and_dispositions(tmp_path, predictor, kb):
    path = write(tmp_path / "in.csv", "loc_eyelid,irregular_heartbeat\nyes,yes\nmaybe,\n,no\n")
    summary = scoring.score_file(path, tmp_path / "out.csv", predictor, kb)
    assert (summary.rows, summary.rows_with_errors) == (3, 1)
    assert summary.dispositions == {"emergency": 0, "urgent": 1, "see_doctor": 0, "self_care": 2}
    assert summary.line() == ("scored 3 rows, 1 with invalid cells (scored as unknown); "
                              "disposition: emergency 0, urgent 1, see_doctor 0, self_care 2")


def test_strict_refuses_at_the_first_bad_cell_with_its_line_and_writes_nothing(tmp_path, predictor, kb):
    lines = ["note,loc_eyelid,cramps"] + ['"two\nlines",yes,no'] * 3 + ["x,maybe,often"]
    path = write(tmp_path / "in.csv", "\n".join(lines) + "\n")
    with pytest.raises(files.InputError) as caught:
        scoring.score_file(path, tmp_path / "out.csv", predictor, kb, strict=True)
    assert str(caught.value).startswith(f"'{path}' line 8: loc_eyelid: 'maybe' is not yes/no/unknown (--strict")
    assert list(tmp_path.iterdir()) == [path]


def test_an_error_midway_leaves_no_output_file_behind(tmp_path, predictor, kb):
    body = "".join("yes,no\n" for _ in range(3_000))
    path = write(tmp_path / "in.csv", "loc_eyelid,cramps\n" + body + "yes\n")
    with pytest.raises(files.InputError, match="line 3002 has 1 field"):
        scoring.score_file(path, tmp_path / "out.csv", predictor, kb, block_size=4096)
    assert list(tmp_path.iterdir()) == [path]


def worker_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("twitch-triage")]


@pytest.mark.parametrize("at", [3, 1_500, 2_999])
@pytest.mark.parametrize(("bad", "strict", "message"), [
    (b"no,x,extra", False, "has 3 fields"), (b"no,caf\xe9", False, "is not UTF-8"),
    (b"maybe,x", True, "'maybe' is not yes/no/unknown"), (b'no,"open', False, "never closed|longer than"),
])
def test_an_input_error_anywhere_joins_the_reading_and_writing_threads_and_leaves_no_file(tmp_path, predictor, kb,
                                                                                         at, bad, strict, message):
    rows = [b"yes,a", b"no,b"] * 1_500
    rows[at] = bad
    path = write(tmp_path / "in.csv", b"loc_eyelid,note\n" + b"\n".join(rows) + b"\n")
    with pytest.raises(files.InputError, match=message):
        scoring.score_file(path, tmp_path / "out.csv", predictor, kb, strict=strict, block_size=1024)
    assert worker_threads() == []
    assert list(tmp_path.iterdir()) == [path]


class FailingScorer:
    """A scorer that fails on its ``n``-th call, as a model might."""

    def __init__(self, scorer, n: int):
        self._scorer, self._n = scorer, n

    def __getattr__(self, name):
        return getattr(self._scorer, name)

    def predict_all(self, X):
        self._n -= 1
        if not self._n:
            raise RuntimeError("the model failed")
        return self._scorer.predict_all(X)


def test_an_error_in_the_scoring_thread_joins_the_others_and_leaves_no_file(tmp_path, predictor, kb, cases_csv):
    with pytest.raises(RuntimeError, match="the model failed"):
        scoring.score_file(cases_csv, tmp_path / "out.csv", FailingScorer(predictor, 5), kb, block_size=8 << 10)
    assert worker_threads() == []
    assert list(tmp_path.iterdir()) == []


def test_a_write_error_is_one_line_and_joins_the_threads_and_leaves_no_file(tmp_path, predictor, kb, cases_csv):
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    ignored = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, limit[1]))  # writing more fails with EFBIG
    try:
        with pytest.raises(files.InputError) as caught:
            scoring.score_file(cases_csv, tmp_path / "out.csv", predictor, kb, block_size=8 << 10)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        signal.signal(signal.SIGXFSZ, ignored)
    assert str(caught.value) == f"cannot write to '{tmp_path}': file too large; choose another -o path"
    assert worker_threads() == []
    assert list(tmp_path.iterdir()) == []


def test_an_open_binary_stream_can_be_scored_like_a_file(tmp_path, predictor, kb):
    summary = scoring.score_file(io.BytesIO(b"numbness,note\nyes,a\nno,b\n"), tmp_path / "out.csv", predictor, kb)
    assert summary.rows == 2
    assert [row["disposition"] for row in read_rows(tmp_path / "out.csv")] == ["see_doctor", "self_care"]


def test_the_output_keeps_the_input_delimiter_and_bom(tmp_path, predictor, kb):
    path = write(tmp_path / "in.csv", b"\xef\xbb\xbfcase_id;loc_eyelid\nc1;yes\n")
    scoring.score_file(path, tmp_path / "out.csv", predictor, kb)
    data = (tmp_path / "out.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfcase_id;loc_eyelid;p_magnesium;")
    assert [row["case_id"] for row in read_rows(tmp_path / "out.csv")] == ["c1"]


def test_a_header_cell_that_looks_like_a_formula_is_neutralised_too(tmp_path, predictor, kb):
    path = write(tmp_path / "in.csv", "=cmd(),loc_eyelid\nx,yes\n")
    scoring.score_file(path, tmp_path / "out.csv", predictor, kb)
    assert (tmp_path / "out.csv").read_text().startswith("'=cmd(),loc_eyelid,")


def test_standard_output_receives_nothing_when_scoring_fails(tmp_path, predictor, kb, monkeypatch):
    sink = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(sink))
    path = write(tmp_path / "in.csv", "loc_eyelid\n" + "yes\n" * 2_000 + "no,extra\n")
    with pytest.raises(files.InputError):
        scoring.score_file(path, "-", predictor, kb, block_size=1024)
    assert sink.getvalue() == b""


def test_atomic_output_removes_the_partial_file_when_writing_fails(tmp_path):
    with pytest.raises(RuntimeError):
        with files.atomic_output(tmp_path / "out.csv") as sink:
            sink.write(b"partial")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
