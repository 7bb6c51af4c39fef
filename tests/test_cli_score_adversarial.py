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

from twitch_triage import casefiles, cli, config
from twitch_triage.files import InputError

ANSWERS_ROW = {a: "no" for a in config.ANSWERS} | {config.DAYS_ANSWER: "3"}


def score(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(["score", *args])
    return code, capsys.readouterr().err


def rows(path) -> list[dict[str, str]]:
    data = path.read_bytes().decode("utf-8-sig")
    delimiter = ";" if ";" in data.split("\n", 1)[0] else ","
    return list(csv.DictReader(io.StringIO(data, newline=""), delimiter=delimiter))


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
    assert len(row) == 150_002 + len(config.OUTPUT_COLUMNS)


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
    names = ["note", *config.ANSWERS]
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

    from twitch_triage import artifact

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
    names = list(config.ANSWERS)
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
