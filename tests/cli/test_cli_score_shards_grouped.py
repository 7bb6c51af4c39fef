"""The local engine scores runs of small shards together (scoring/groups.py): every output byte for byte, every
manifest record (but its timing), the summary line and the exit code exactly those of scoring each shard alone."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitch_triage import cli, contract
from twitch_triage.scoring import groups, shards, task
from twitch_triage.scoring import manifest as shard_manifest

NAMES = ["case_id", *contract.ANSWERS, "note"]
ANSWERS_ROW = {a: "no" for a in contract.ANSWERS} | {contract.DAYS_ANSWER: "3"}
TIMING = ("started", "seconds")


def row(names=NAMES, delimiter=",", end="\n", **cells: str) -> str:
    return delimiter.join({**ANSWERS_ROW, **cells}.get(name, "") for name in names) + end


def header(names=NAMES, delimiter=",", end="\n") -> str:
    return delimiter.join(names) + end


def scored(folder, out, model, *, limit: int | None = None) -> tuple[int, str, dict, dict]:
    """Score ``folder`` into ``out`` in this process (each shard alone when ``limit`` is 0): the exit code, the
    last line of standard error (the output folder's name replaced), the outputs and the records (no timing)."""
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(io.StringIO()) as stderr:
        if limit is not None:
            patch.setattr(groups, "GROUP_LIMIT", limit)
        code = cli.main(["score", str(folder), "-o", str(out), "--model", str(model)])
    err = stderr.getvalue()
    records = {name: {k: v for k, v in record.items() if k not in TIMING}
               for name, record in shard_manifest.read(out, force=False).items()}
    return (code, err.replace(str(out), "OUT"), {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))},
            records)


@pytest.fixture()
def alone_calls(monkeypatch):
    """The names of the shards the local engine scores alone (with task.score_shard), as it does."""
    calls: list[str] = []

    def counted(job: task.Job) -> task.Result:
        calls.append(os.path.basename(job.source))
        return task.score_shard(job)

    monkeypatch.setattr(groups, "score_shard", counted)
    return calls


def _mixed(folder) -> None:
    """Shards of every kind, named so that those side by side share their first line (a group) or not."""
    def put(name: str, text: str | bytes) -> None:
        (folder / name).write_bytes(text.encode() if isinstance(text, str) else text)

    put("a01_one_row.csv", header() + row(case_id="a1", cramps="yes"))
    put("a02_rows.csv", header() + "".join(row(case_id=f"a2_{k}", weakness="yes" if k % 3 else "no")
                                            for k in range(7)))
    put("a03_quoted.csv", header() + row(case_id="a3", note='"a, b\nc ""d""\r\ne"', numbness="YES")
        + row(case_id="a3b", note='"x;y"'))
    put("a04_empty_lines.csv", header() + "\n\n" + row(case_id="a4") + "\n\r\n" + row(case_id="a4b") + "\n\n")
    put("a05_crlf_rows.csv", header() + row(case_id="a5", end="\r\n") + row(case_id="a5b", end="\r\n"))
    put("a06_no_final_newline.csv", header() + row(case_id="a6", end=""))
    put("a07_formula.csv", header() + row(case_id="=cmd|' /C calc'!A0", note="+1+1", tingling="-x"))
    put("a08_invalid.csv", header() + row(case_id="a8", cramps="maybe", duration_days="-3")
        + row(case_id="a8b", loc_eyelid="=1"))
    put("a09_header_only.csv", header())
    put("a10_lone_cr.csv", header() + row(case_id="a10", end="\r") + row(case_id="a10b", end="\r"))
    put("a11_quote_mid_field_left_open.csv", header() + row(case_id='x"y', note='"open'))  # fails alone
    put("a12_one_row.csv", header() + row(case_id="a12", at_night="yes"))
    put("a13_quote_closed_in_last_cell.csv", header() + row(case_id="a13", note='"last\n"'))
    put("a14_one_row.csv", header() + row(case_id="a14", spasms="yes"))
    put("b01_bom.csv", b"\xef\xbb\xbf" + (header() + row(case_id="b1")).encode())
    put("b02_bom.csv", b"\xef\xbb\xbf" + (header() + row(case_id="b2", fatigue="yes")).encode())
    reordered = list(reversed(NAMES))
    put("c01_column_order.csv", header(reordered) + row(reordered, case_id="c1", burning="yes"))
    put("c02_column_order.csv", header(reordered) + row(reordered, case_id="c2"))
    put("d01_crlf.csv", header(end="\r\n") + row(case_id="d1", end="\r\n"))
    put("d02_crlf.csv", header(end="\r\n") + row(case_id="d2", end="\r\n") + "\r\n")
    put("e01_semicolons.csv", header(delimiter=";") + row(delimiter=";", case_id="e1", note='"1,5; 2"'))
    put("e02_semicolons.csv", header(delimiter=";") + row(delimiter=";", case_id="e2"))
    put("f01_good.csv", header() + row(case_id="f1"))
    put("f02_ragged.csv", header() + row(case_id="f2") + "f2b,yes\n")  # fails alone: so does its group
    put("f03_good.csv", header() + row(case_id="f3", bone_pain="yes"))
    put("g01_good.csv", header() + row(case_id="g1"))
    put("g02_not_utf8.csv", header().encode() + row(case_id="g2", note="caf\xe9").encode("latin-1"))
    put("g03_good.csv", header() + row(case_id="g3"))
    put("h01_big.csv", header() + "".join(row(case_id=f"h{k}") for k in range(1000)))  # above the limit
    put("h02_good.csv", header() + row(case_id="h2"))
    put("h03_good.csv", header() + row(case_id="h3"))
    assert (folder / "h01_big.csv").stat().st_size > groups.GROUP_LIMIT
    # a first line that is not the header record alone: a lone CR ends the header, a quoted line break does not
    put("i01_cr_in_first_line.csv", header(end="\r") + row(case_id="i1") + row(case_id="i1b"))
    put("i02_cr_in_first_line.csv", header(end="\r") + row(case_id="i1") + row(case_id="i2b"))
    broken = [*NAMES[:-1], '"no\nte"']  # (its first line names the answers: read alone, it is a header)
    put("j01_line_break_in_header.csv", header(broken) + row(broken, case_id="j1", cramps="yes"))
    put("j02_line_break_in_header.csv", header(broken) + row(broken, case_id="j2", loc_face="yes"))


def test_grouped_shards_are_written_and_recorded_exactly_as_each_shard_alone(tmp_path, small_model_dir, alone_calls):
    folder = tmp_path / "in"
    folder.mkdir()
    _mixed(folder)
    together = scored(folder, tmp_path / "together", small_model_dir)
    grouped_alone = set(alone_calls)
    alone = scored(folder, tmp_path / "alone", small_model_dir, limit=0)
    assert together[0] == alone[0] == 2
    assert together[1] == alone[1]
    assert together[2] == alone[2]
    assert together[3] == alone[3]
    # the shards that fail alone failed (nothing written), with their one-line error
    failed = {name for name, record in alone[3].items() if record["status"] == "failed"}
    assert failed == {"a11_quote_mid_field_left_open.csv", "f02_ragged.csv", "g02_not_utf8.csv"}
    assert not failed & set(together[2])
    assert b"'=cmd" in together[2]["a07_formula.csv"]
    assert together[3]["a08_invalid.csv"]["rows_with_invalid_cells"] == 2
    # scored together: every shard but those alone by rule (too big, a quote left open) or in a failed group
    assert grouped_alone == {"a11_quote_mid_field_left_open.csv", "f01_good.csv", "f02_ragged.csv", "f03_good.csv",
                             "g01_good.csv", "g02_not_utf8.csv", "g03_good.csv", "h01_big.csv",
                             "i01_cr_in_first_line.csv", "i02_cr_in_first_line.csv",
                             "j01_line_break_in_header.csv", "j02_line_break_in_header.csv"}
    assert len(alone_calls) == len(grouped_alone) + len(alone[3])


def test_a_rerun_over_grouped_shards_skips_them_all(tmp_path, small_model_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    _mixed(folder)
    first = scored(folder, tmp_path / "out", small_model_dir)
    again = scored(folder, tmp_path / "out", small_model_dir)
    assert again[2] == first[2] and again[3] == first[3]
    assert "32 of 35 shards done (32 skipped: done before), 3 failed" in again[1]


def test_each_record_comes_once_its_output_is_written(tmp_path, small_model_dir):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for k in range(20):
        (folder / f"s{k:02}.csv").write_text(header() + row(case_id=f"s{k}"))
    plan = shards.plan(str(folder), str(out), model=str(small_model_dir), kb=None)
    try:
        seen = 0
        for result in groups.score_jobs(plan.jobs):
            record = result.record
            written = (out / record["input"]).read_bytes()  # there already, whole
            assert (len(written), hashlib.sha256(written).hexdigest()) == (record["output_size"],
                                                                           record["output_sha256"])
            seen += 1
            assert len(list(out.glob("s*.csv"))) == seen  # and no other output yet
    finally:
        plan.release()
    assert seen == 20


@pytest.mark.slow
def test_a_run_over_small_shards_killed_halfway_then_rerun_ends_clean(tmp_path, small_model_dir, capsys):
    folder, out, clean = tmp_path / "in", tmp_path / "out", tmp_path / "clean"
    folder.mkdir()
    for k in range(3000):
        (folder / f"s{k:04}.csv").write_text(header() + row(case_id=f"s{k}", cramps="yes" if k % 2 else "no"))
    args = [str(folder), "-o", str(out), "--model", str(small_model_dir), "--quiet"]
    process = subprocess.Popen([sys.executable, "-m", "twitch_triage", "score", *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    journal = out / shard_manifest.JOURNAL_NAME
    while not (journal.exists() and journal.stat().st_size):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=120)
    records = shard_manifest.read(out, force=False)
    assert 1 <= len(records) < 3000, "the run was not stopped halfway"
    for name, record in records.items():  # never a record of an output not written
        written = (out / name).read_bytes()
        assert hashlib.sha256(written).hexdigest() == record["output_sha256"]
    code, err = cli.main(["score", *args]), capsys.readouterr().err
    assert code == 0, err
    assert f"3,000 of 3,000 shards done ({len(records):,} skipped: done before), 0 failed" in err
    assert cli.main(["score", str(folder), "-o", str(clean), "--model", str(small_model_dir), "--quiet"]) == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.csv")} == {p.name: p.read_bytes() for p in clean.glob("*.csv")}
    assert shard_manifest.read(out, force=False).keys() == shard_manifest.read(clean, force=False).keys()
    assert not journal.exists()  # (a partial output of the killed run may stay: a hidden file, as alone)


_CELLS = st.sampled_from(["yes", "no", "", "unknown", "YES", "maybe", "=cmd", "-2", "2.5"])
_NOTES = st.text(alphabet='ab ,;"\n\r=+é', max_size=8)


@st.composite
def _shard(draw) -> bytes:
    """A small shard: rows of random answers and notes (quoted when they need it), empty lines, LF or CRLF,
    with or without a last line end."""
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [header()]
    for k in range(draw(st.integers(0, 4))):
        note = draw(_NOTES)
        if draw(st.booleans()) or any(c in note for c in ',"\n\r'):
            note = '"' + note.replace('"', '""') + '"'
        cells = {"case_id": f"r{k}", "note": note, "cramps": draw(_CELLS), "duration_days": draw(_CELLS),
                 "weakness": draw(_CELLS)}
        lines.append(row(end=end, **cells) + end * draw(st.integers(0, 2)))
    text = "".join(lines)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    return text.encode()


@settings(max_examples=25)
@given(shards_=st.lists(_shard(), min_size=2, max_size=8))
def test_random_small_shards_score_together_exactly_as_alone(tmp_path_factory, small_model_dir, shards_):
    folder = tmp_path_factory.mktemp("random")
    for k, data in enumerate(shards_):
        (folder / f"r{k:02}.csv").write_bytes(data)
    out = tmp_path_factory.mktemp("scored")
    together = scored(folder, out / "together", small_model_dir)
    alone = scored(folder, out / "alone", small_model_dir, limit=0)
    assert together == alone
    shutil.rmtree(folder)
    shutil.rmtree(out)


def test_rows_score_the_same_whichever_rows_share_a_model_call_and_on_one_blas_thread(tmp_path, small_model_dir, kb):
    from twitch_triage import oracle
    from twitch_triage.io.casefiles import write_frame

    folder = tmp_path / "in"
    folder.mkdir()
    whole = tmp_path / "whole.csv"
    with open(whole, "wb") as sink:
        write_frame(oracle.sample_cases(kb, 300, seed=21).to_frame(), sink)
    head, *rows = whole.read_text().splitlines(keepends=True)
    start = 0
    for k, n in enumerate([1, 5, 31, 33, 64, 1, 2, 3, 32, 0, 65, 63]):  # across the model's tiles of 32 rows
        (folder / f"t{k:02}.csv").write_text(head + "".join(rows[start:start + n]))
        start += n
    alone = scored(folder, tmp_path / "alone", small_model_dir, limit=0)
    run = subprocess.run([sys.executable, "-m", "twitch_triage", "score", str(folder), "-o", str(tmp_path / "one"),
                          "--model", str(small_model_dir), "--quiet"], capture_output=True,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1"}, timeout=300)
    assert run.returncode == 0, run.stderr.decode()
    assert {p.name: p.read_bytes() for p in sorted((tmp_path / "one").glob("*.csv"))} == alone[2]
