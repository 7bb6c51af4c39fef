"""`twitch-triage score` against the adversarial round's breakages: each test failed on the code before its fix."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pyarrow as pa
import pytest

from twitch_triage.io import casefiles
from twitch_triage import contract
from twitch_triage import cli
from twitch_triage.io.files import InputError

from cli_driver import rows, score

ANSWERS_ROW = {a: "no" for a in contract.ANSWERS} | {contract.DAYS_ANSWER: "3"}


def wide(columns: int) -> bytes:
    """A case file whose header (chest_pain, then ``columns`` others) is longer than 1 MiB, and one row."""
    names = ["chest_pain", *(f"extra_{i}" for i in range(columns))]
    return (",".join(names) + "\n" + "yes" + ",x" * columns + "\n").encode()


# --------------------------------------------------------------------------- 1. a header of 1 MiB or more


@pytest.mark.parametrize("columns", [150_001, 200_000])
def test_a_header_longer_than_a_read_keeps_every_column_and_every_row(tmp_path, columns):
    data = wide(columns)
    assert len(data.split(b"\n")[0]) > 1 << 20
    with casefiles.open_cases(io.BytesIO(data)) as reader:
        assert len(reader.header.names) == columns + 1
        assert sum(chunk.batch.num_rows for chunk in reader.chunks()) == 1


@pytest.mark.parametrize("given", ["file", "stdin"])
def test_score_scores_the_row_of_a_file_whose_header_passes_one_mib(tmp_path, small_model_dir, given):
    source = tmp_path / "wide.csv"
    source.write_bytes(wide(150_001))
    out = tmp_path / "out.csv"
    argv = [sys.executable, "-m", "twitch_triage", "score", "-" if given == "stdin" else str(source), "-o", str(out),
            "--model", str(small_model_dir), "--quiet"]
    r = subprocess.run(argv, input=source.read_bytes() if given == "stdin" else None, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (row,) = rows(out)
    assert row["disposition"] == "emergency" and "chest_pain" in row["red_flags"]
    assert len(row) == 150_002 + len(contract.OUTPUT_COLUMNS)


def test_a_header_that_never_ends_is_refused_not_cut():
    with pytest.raises(InputError, match="first line"):
        casefiles.open_cases(io.BytesIO(b'chest_pain,"' + b"x" * (17 << 20)))


# --------------------------------------------------------------------------- 7. the number pattern


@pytest.mark.parametrize("cell", ["-1+cmd|' /C calc'!A0", "+1+1", "=1", "-1\n=cmd", "@1", "-2e3+x", "+1.5;x"])
def test_a_formula_that_starts_like_a_number_is_neutralised(cell):
    assert casefiles.neutralise(pa.array([cell])).to_pylist() == ["'" + cell]


@pytest.mark.parametrize("cell", ["-1", "+1.5", "-2e3", ",5", "3,"])
def test_a_number_is_left_alone(cell):
    assert casefiles.neutralise(pa.array(["-" + cell.lstrip("+-")])).to_pylist() == ["-" + cell.lstrip("+-")]


def test_a_formula_that_starts_like_a_number_is_neutralised_in_single_and_shard_outputs(tmp_path, small_model_dir,
                                                                                       capsys):
    names = ["note", *contract.ANSWERS]
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.csv", "b.csv"):
        with (folder / name).open("w", newline="") as handle:
            writer = csv.DictWriter(handle, names)
            writer.writeheader()
            writer.writerow({**ANSWERS_ROW, "note": "-1+cmd|' /C calc'!A0"})
    assert score(capsys, str(folder / "a.csv"), "-o", str(tmp_path / "one.csv"), "--model", str(small_model_dir),
                 "--quiet")[0] == 0
    assert score(capsys, str(folder), "-o", str(tmp_path / "out"), "--model", str(small_model_dir), "--quiet")[0] == 0
    for path in (tmp_path / "one.csv", tmp_path / "out" / "a.csv", tmp_path / "out" / "b.csv"):
        assert rows(path)[0]["note"] == "'-1+cmd|' /C calc'!A0"


# --------------------------------------------------------------------------- 3. the model's answers and labels


@pytest.fixture(scope="module")
def reordered_models(small_model_dir, tmp_path_factory):
    """Copies of the small model whose answers are permuted, lack one, or whose labels are permuted."""
    import dataclasses

    from twitch_triage.model import artifact

    base = artifact.load(small_model_dir, pipeline=True)
    answers, labels = list(base.answer_ids), list(base.labels)
    made = {}
    for name, change in {"permuted": {"answer_ids": tuple(answers[1:2] + answers[:1] + answers[2:])},
                         "lacking": {"answer_ids": tuple(a for a in answers if a != "chest_pain") + ("chest_pains",)},
                         "labels": {"labels": tuple(labels[1:2] + labels[:1] + labels[2:])}}.items():
        folder = tmp_path_factory.mktemp(name)
        artifact.save(dataclasses.replace(base, **change, metadata=dict(base.metadata)), folder)
        made[name] = folder
    return made


@pytest.mark.parametrize("kind", ["permuted", "lacking", "labels"])
@pytest.mark.parametrize("shape", ["file", "shards"])
def test_score_refuses_a_model_whose_answers_or_labels_are_not_the_knowledge_bases(tmp_path, reordered_models,
                                                                                  capsys, kind, shape):
    folder = tmp_path / "in"
    folder.mkdir()
    names = list(contract.ANSWERS)
    (folder / "a.csv").write_text(",".join(names) + "\n" + ",".join(ANSWERS_ROW.get(n, "") for n in names) + "\n")
    source = folder / "a.csv" if shape == "file" else folder
    out = tmp_path / ("out.csv" if shape == "file" else "out")
    code, err = score(capsys, str(source), "-o", str(out), "--model", str(reordered_models[kind]), "--quiet")
    assert code == 2 and "make train" in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists() or not any(out.iterdir())


# --------------------------------------------------------------------------- 12. input in messages


def test_a_shard_name_with_line_breaks_and_escape_sequences_reaches_stderr_escaped_and_cut(tmp_path, small_model_dir,
                                                                                          capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    name = "evil\n\x1b[31mred\x1b[0m" + "x" * 220 + ".csv"
    (folder / name).write_text("not,a,case,file\n1,2,3,4\n")
    code, err = score(capsys, str(folder), "-o", str(tmp_path / "out"), "--model", str(small_model_dir), "--quiet")
    assert code == 2
    assert "\x1b" not in err and "\\x1b[31m" in err
    for line in err.splitlines():
        assert len(line) < 900
    assert "characters)" in err


def test_a_missing_input_named_with_a_line_break_is_one_line(tmp_path, small_model_dir, capsys):
    code, err = score(capsys, str(tmp_path / "a\nb.csv"), "-o", str(tmp_path / "out.csv"), "--model",
                      str(small_model_dir))
    assert code == 2 and err.count("\n") == 1 and "a\\nb.csv" in err


# --------------------------------------------------------------------------- shards: links, locks, reruns, manifests


def shard_folder(tmp_path, names=("a.csv", "b.csv"), note="n") -> "os.PathLike":
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    cols = ["note", *contract.ANSWERS]
    for name in names:
        (folder / name).write_text(",".join(cols) + "\n" + ",".join([note, *(ANSWERS_ROW[a] for a in contract.ANSWERS)])
                                   + "\n")
    return folder


def run_shards(capsys, folder, out, model, *extra):
    return score(capsys, str(folder), "-o", str(out), "--model", str(model), "--quiet", *extra)


@pytest.mark.parametrize("how", ["output links to input", "input links into output", "output links outside",
                                 "manifest links outside"])
def test_links_in_or_into_the_output_folder_are_refused_and_nothing_is_replaced(tmp_path, small_model_dir, capsys,
                                                                                how):
    folder = shard_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    if how == "output links to input":
        (out / "a.csv").symlink_to(folder / "a.csv")
    elif how == "input links into output":
        (out / "a.csv").write_text("theirs")
        (folder / "a.csv").unlink()
        (folder / "a.csv").symlink_to(out / "a.csv")
    elif how == "output links outside":
        (out / "a.csv").symlink_to(outside)
    else:
        (out / "manifest.json").symlink_to(outside)
    before = {p: p.read_bytes() for p in [*folder.iterdir(), outside]}
    code, err = run_shards(capsys, folder, out, small_model_dir)
    assert code == 2 and err.count("\n") == 1, err
    assert {p: p.read_bytes() for p in before} == before


def test_a_fifo_named_like_a_shard_in_the_output_folder_is_refused_at_once(tmp_path, small_model_dir, capsys):
    folder = shard_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "a.csv")
    code, err = run_shards(capsys, folder, out, small_model_dir)
    assert code == 2 and "not a regular file" in err


@pytest.mark.parametrize("name, what", [("manifest.json", "manifest"), (".manifest.journal", "journal")])
def test_an_input_shard_named_like_the_runs_manifest_or_journal_is_refused(tmp_path, small_model_dir, capsys, name,
                                                                           what):
    folder = shard_folder(tmp_path, names=("a.csv", name))
    out = tmp_path / "out"
    code, err = run_shards(capsys, folder / f"{name[0]}*", out, small_model_dir)  # a glob: it may name hidden files
    assert code == 2 and f"an input shard is named {name}, the name of the run's {what}" in err, err
    assert not out.exists()


def test_a_second_run_into_a_locked_output_folder_says_so_in_one_line(tmp_path, small_model_dir, capsys):
    from twitch_triage.scoring import manifest as shard_manifest

    folder = shard_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    held = shard_manifest.lock(out)
    try:
        code, err = run_shards(capsys, folder, out, small_model_dir)
    finally:
        os.close(held)
    assert code == 2 and "another twitch-triage score is writing" in err and err.count("\n") == 1
    assert run_shards(capsys, folder, out, small_model_dir)[0] == 0


def test_a_failed_rerun_removes_the_old_output_and_deleted_shards_leave_no_record(tmp_path, small_model_dir, capsys):
    from twitch_triage.scoring import manifest as shard_manifest

    folder = shard_folder(tmp_path, names=("a.csv", "b.csv", "c.csv"))
    out = tmp_path / "out"
    assert run_shards(capsys, folder, out, small_model_dir)[0] == 0
    (folder / "a.csv").write_text("not,a,case,file\n1,2,3,4\n")  # now fails
    (folder / "b.csv").unlink()  # input deleted
    code, err = run_shards(capsys, folder, out, small_model_dir)
    assert code == 2
    records = shard_manifest.read(out, force=False)
    assert records["a.csv"]["status"] == "failed" and not (out / "a.csv").exists()
    assert "b.csv" not in records and not (out / "b.csv").exists()
    (out / "c.csv").unlink()  # output deleted: scored again
    assert "1 of 2 shards done (0 skipped" in run_shards(capsys, folder, out, small_model_dir)[1]


def test_a_skip_checks_the_hash_of_input_and_output_not_their_size(tmp_path, small_model_dir, capsys):
    folder = shard_folder(tmp_path, names=("a.csv",), note="1")
    out = tmp_path / "out"
    assert run_shards(capsys, folder, out, small_model_dir)[0] == 0
    written = (out / "a.csv").read_bytes()
    (folder / "a.csv").write_text((folder / "a.csv").read_text().replace("1,", "2,", 1))  # same size
    code, err = run_shards(capsys, folder, out, small_model_dir)
    assert code == 0 and "0 skipped" in err
    assert (out / "a.csv").read_bytes() == written.replace(b"\n1,", b"\n2,", 1)


@pytest.mark.parametrize("content", ['{"written_by": "twitch-triage score", "shards": ' + "[" * 100_000 + "]" * 100_000
                                     + "}", None, "input"])
def test_a_tampered_or_deeply_nested_manifest_is_one_line_exit_2(tmp_path, small_model_dir, capsys, content):
    folder = shard_folder(tmp_path, names=("a.csv",))
    out = tmp_path / "out"
    assert run_shards(capsys, folder, out, small_model_dir)[0] == 0
    path = out / "manifest.json"
    data = json.loads(path.read_text())
    if content is None:
        data["shards"]["a.csv"]["output_size"] = "12"
        content = json.dumps(data, indent=1)
    elif content == "input":
        data["shards"]["a.csv"]["input"] = ["a.csv"]
        content = json.dumps(data, indent=1)
    else:
        content = content.replace('{"written_by"', '{\n "written_by"', 1)
    path.write_text(content)
    code, err = run_shards(capsys, folder, out, small_model_dir)
    assert code == 2 and err.count("\n") == 1 and "--force" in err, err


def test_a_rerun_that_skips_every_shard_rewrites_no_manifest(tmp_path, small_model_dir, capsys):
    folder = shard_folder(tmp_path, names=tuple(f"s{i:03}.csv" for i in range(30)))
    out = tmp_path / "out"
    assert run_shards(capsys, folder, out, small_model_dir)[0] == 0
    before = os.stat(out / "manifest.json").st_ino
    code, err = run_shards(capsys, folder, out, small_model_dir, "--engine", "dask", "--scheduler",
                           "tcp://127.0.0.1:1")  # never reached: nothing to score
    assert code == 0 and "30 skipped" in err, err
    assert os.stat(out / "manifest.json").st_ino == before


# --------------------------------------------------------------------------- 8. signals while reading a pipe


@pytest.mark.parametrize("signum", [15, 2])
def test_a_signal_while_standard_input_stays_open_ends_the_run_at_once_without_a_part_file(tmp_path, small_model_dir,
                                                                                           signum):
    import time

    out = tmp_path / "out.csv"
    cols = list(contract.ANSWERS)
    process = subprocess.Popen([sys.executable, "-m", "twitch_triage", "score", "-", "-o", str(out), "--model",
                                str(small_model_dir), "--quiet"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdin.write((",".join(cols) + "\n" + ",".join(ANSWERS_ROW[a] for a in cols) + "\n").encode())
    process.stdin.flush()
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.csv.*.part")):  # reading the rest, its output aside
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signum)
    try:
        process.wait(timeout=10)
    finally:
        process.kill()
        process.stdin.close()
    assert process.returncode in (128 + signum, -signum), process.stderr.read()
    assert list(tmp_path.iterdir()) == []
