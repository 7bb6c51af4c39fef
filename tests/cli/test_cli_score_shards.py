"""`twitch-triage score` over a folder or a glob of shards, on the local engine and on Dask: each output shard
exactly what scoring that shard alone writes, a manifest beside them, and a rerun that resumes."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitch_triage.model import artifact
from twitch_triage.model.manifest import ARRAYS_NAME, MANIFEST_NAME
from twitch_triage import contract
from twitch_triage.settings import Settings
from twitch_triage.scoring import dask_engine
from twitch_triage import oracle
from twitch_triage.scoring import manifest as shard_manifest
from twitch_triage.scoring import task
from twitch_triage import cli
from twitch_triage.io.casefiles import write_frame
from twitch_triage.io.files import InputError, atomic_output

distributed = pytest.importorskip("distributed")

ANSWERS_ROW = {a: "no" for a in contract.ANSWERS} | {contract.DAYS_ANSWER: "3"}


def line(cells: dict[str, str], names: list[str], delimiter: str = ",") -> str:
    return delimiter.join(cells.get(name, "") for name in names) + "\n"


def score(capsys, *args: str) -> tuple[int, str]:
    """The command in this process: exit code and standard error."""
    code = cli.main(["score", *args])
    return code, capsys.readouterr().err


def manifest(folder) -> dict:
    """The records of the runs into ``folder``: its manifest, then the journal of a run killed before compacting it."""
    return shard_manifest.read(folder, force=False)


def outputs(folder) -> dict[str, bytes]:
    """The output shards (not the manifest, nor a partial file left by a killed run) by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


@pytest.fixture(scope="module")
def good_shards(tmp_path_factory, kb):
    """Shards that score: generated cases over two blocks of the reader, invalid cells, a header and no row,
    quoted cells with line ends (semicolon-delimited, with a byte-order mark)."""
    folder = tmp_path_factory.mktemp("shards")
    with atomic_output(folder / "generated.csv") as sink:
        write_frame(oracle.sample_cases(kb, 12_000, seed=5).to_frame(), sink)
    names = ["case_id", *contract.ANSWERS, "note"]
    (folder / "invalid_cells.csv").write_text(
        ",".join(names) + "\n" + line({**ANSWERS_ROW, "case_id": "i1", "cramps": "sometimes"}, names)
        + line({**ANSWERS_ROW, "case_id": "i2", "weakness": "YES ", "loc_eyelid": "maybe", "note": "=1+1"}, names))
    (folder / "header_only.csv").write_text(",".join(names) + "\n")
    (folder / "quoted_newlines.csv").write_bytes(
        "\ufeff".encode() + (";".join(names) + "\n").encode()
        + line({**ANSWERS_ROW, "case_id": "q1", "note": '"two\nlines; one cell"'}, names, ";").encode()
        + line({**ANSWERS_ROW, "case_id": "q2", "note": '"three\r\nlines\n"', "breathing_difficulty": "yes"},
               names, ";").encode())
    (folder / "notes.txt").write_text("not a shard: a folder's shards are its *.csv files\n")
    return folder


@pytest.fixture(scope="module")
def cluster():
    """A Dask cluster of two worker processes for this module's tests: its scheduler's address."""
    with dask_engine.local_cluster(2) as local:
        yield local.scheduler_address


@pytest.fixture()
def alone(tmp_path, small_model_dir, capsys):
    """``alone(shard)``: the bytes `twitch-triage score SHARD -o OUT` writes for that one shard."""
    def scored(shard) -> bytes:
        out = tmp_path / "alone" / shard.name
        out.parent.mkdir(exist_ok=True)
        assert score(capsys, str(shard), "-o", str(out), "--model", str(small_model_dir))[0] == 0
        return out.read_bytes()

    return scored


def test_dask_writes_each_shard_byte_for_byte_as_the_local_engine_and_the_shard_alone(
        tmp_path, good_shards, small_model_dir, capsys, alone):
    model = ["--model", str(small_model_dir)]
    code, err = score(capsys, str(good_shards), "-o", str(tmp_path / "local"), *model)
    assert code == 0, err
    code, err = score(capsys, str(good_shards), "-o", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2",
                      *model)
    assert code == 0, err
    local, dask = outputs(tmp_path / "local"), outputs(tmp_path / "dask")
    assert sorted(local) == ["generated.csv", "header_only.csv", "invalid_cells.csv", "quoted_newlines.csv"]
    assert dask == local
    assert local == {name: alone(good_shards / name) for name in local}
    assert err.splitlines()[-1] == (
        f"scored 12,004 rows, 2 with invalid cells (scored as unknown); disposition: "
        f"{', '.join(f'{k} {v:,}' for k, v in _dispositions(manifest(tmp_path / 'local')).items())}; "
        f"4 of 4 shards done (0 skipped: done before), 0 failed -> {tmp_path / 'dask'} "
        f"(manifest: {tmp_path / 'dask' / shard_manifest.SHARD_MANIFEST_NAME})")


def _dispositions(records: dict) -> dict[str, int]:
    return {level: sum(r["dispositions"][level] for r in records.values()) for level in contract.LEVELS}


def test_the_manifest_records_each_shards_input_rows_errors_and_model(tmp_path, good_shards, small_model_dir,
                                                                     cluster, capsys):
    out = tmp_path / "out"
    assert score(capsys, str(good_shards), "-o", str(out), "--engine", "dask", "--scheduler", cluster,
                 "--model", str(small_model_dir))[0] == 0
    records = manifest(out)
    model_sha256 = artifact.read_manifest(small_model_dir)["inference_sha256"]
    for name, record in records.items():
        data = (good_shards / name).read_bytes()
        assert (record["input"], record["status"], record["error"]) == (name, "done", None)
        assert (record["size"], record["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
        assert record["model_sha256"] == model_sha256
        assert record["output_size"] == (out / name).stat().st_size
    assert {name: (r["rows_in"], r["rows_out"], r["rows_with_invalid_cells"]) for name, r in records.items()} == {
        "generated.csv": (12_000, 12_000, 0), "header_only.csv": (0, 0, 0), "invalid_cells.csv": (2, 2, 2),
        "quoted_newlines.csv": (2, 2, 0)}


def test_an_unusable_shard_fails_alone_with_its_one_line_in_the_manifest_and_exit_2(
        tmp_path, good_shards, small_model_dir, cluster, capsys):
    folder = tmp_path / "in"
    shutil.copytree(good_shards, folder)
    (folder / "empty.csv").write_bytes(b"")
    (folder / "no_answers.csv").write_text("name,age\nann,40\n")
    out = tmp_path / "out"
    code, err = score(capsys, str(folder), "-o", str(out), "--engine", "dask", "--scheduler", cluster,
                      "--model", str(small_model_dir))
    assert code == 2
    records = manifest(out)
    failed = {name: r["error"] for name, r in records.items() if r["status"] == "failed"}
    assert failed == {
        "empty.csv": f"'{folder / 'empty.csv'}' is empty: give a CSV whose first line names the answer columns "
                     "(see `twitch-triage schema`)",
        "no_answers.csv": f"'{folder / 'no_answers.csv'}' has none of the answer columns (e.g. loc_eyelid, "
                          "loc_face, loc_mouth): name the columns as `twitch-triage schema` lists them"}
    assert sorted(outputs(out)) == sorted(outputs(good_shards))  # the others are done, the failed write nothing
    lines = err.splitlines()
    assert sorted(lines[:2]) == [f"twitch-triage score: error: {message}" for message in sorted(failed.values())]
    assert "4 of 6 shards done (0 skipped: done before), 2 failed" in lines[2]


def test_a_rerun_skips_the_shards_done_and_scores_a_changed_one_again(tmp_path, good_shards, small_model_dir,
                                                                    cluster, capsys):
    folder, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(good_shards, folder)
    args = [str(folder), "-o", str(out), "--engine", "dask", "--scheduler", cluster, "--model", str(small_model_dir)]
    assert score(capsys, *args)[0] == 0
    written = {p.name: p.stat().st_ino for p in out.glob("*.csv")}  # a shard written again is a new file
    (folder / "invalid_cells.csv").write_text((folder / "invalid_cells.csv").read_text().replace("maybe", "yes"))
    code, err = score(capsys, *args)
    assert code == 0
    again = {p.name: p.stat().st_ino for p in out.glob("*.csv")}
    assert {name for name in written if again[name] != written[name]} == {"invalid_cells.csv"}
    assert "scored 2 rows, 1 with invalid cells" in err
    assert "4 of 4 shards done (3 skipped: done before), 0 failed" in err
    assert manifest(out)["invalid_cells.csv"]["rows_with_invalid_cells"] == 1


def test_force_scores_every_shard_again(tmp_path, good_shards, small_model_dir, capsys):
    out = tmp_path / "out"
    args = [str(good_shards), "-o", str(out), "--model", str(small_model_dir)]
    assert score(capsys, *args)[0] == 0
    written = {p.name: p.stat().st_ino for p in out.glob("*.csv")}
    code, err = score(capsys, *args, "--force")
    assert code == 0
    assert all(p.stat().st_ino != written[p.name] for p in out.glob("*.csv"))
    assert "4 of 4 shards done (0 skipped: done before)" in err


@pytest.mark.parametrize("option", ["--strict", "--model"])
def test_a_rerun_with_another_model_or_strictness_scores_every_shard_again(tmp_path, good_shards, small_model_dir,
                                                                          option, capsys):
    folder, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(good_shards, folder)
    (folder / "invalid_cells.csv").unlink()  # --strict would refuse it
    other = tmp_path / "other_model"
    shutil.copytree(small_model_dir, other)
    with np.load(other / ARRAYS_NAME) as data:  # the same arrays in other bytes: another checksum
        np.savez_compressed(other / ARRAYS_NAME, **{name: data[name] for name in data.files})
    model_manifest = json.loads((other / MANIFEST_NAME).read_text())
    model_manifest["inference_sha256"] = hashlib.sha256((other / ARRAYS_NAME).read_bytes()).hexdigest()
    (other / MANIFEST_NAME).write_text(json.dumps(model_manifest))
    assert score(capsys, str(folder), "-o", str(out), "--model", str(small_model_dir))[0] == 0
    rerun = ["--strict", "--model", str(small_model_dir)] if option == "--strict" else ["--model", str(other)]
    code, err = score(capsys, str(folder), "-o", str(out), *rerun)
    assert code == 0, err
    assert "3 of 3 shards done (0 skipped: done before)" in err
    assert {r["model_sha256"] for r in manifest(out).values()} == {model_manifest["inference_sha256"]
                                                                   if option == "--model" else
                                                                   artifact.read_manifest(small_model_dir)
                                                                   ["inference_sha256"]}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_shows_shards_done_of_all_and_rows_per_second(tmp_path, good_shards,
                                                                             small_model_dir, monkeypatch):
    monkeypatch.setattr(sys, "stderr", terminal := Terminal())
    assert cli.main(["score", str(good_shards), "-o", str(tmp_path / "out"), "--model", str(small_model_dir)]) == 0
    frames = terminal.getvalue().split("\r")
    assert any(re.search(r"^scoring: .* [1-4]/4 .*, [0-9,]+ rows/s]", frame) for frame in frames), frames
    assert any(" 0/4 " in frame for frame in frames)


def test_a_glob_and_a_folder_name_the_same_shards(tmp_path, good_shards, small_model_dir, capsys):
    code, err = score(capsys, str(good_shards / "*.csv"), "-o", str(tmp_path / "glob"), "--model",
                      str(small_model_dir))
    assert code == 0, err
    assert score(capsys, str(good_shards), "-o", str(tmp_path / "folder"), "--model", str(small_model_dir))[0] == 0
    assert outputs(tmp_path / "glob") == outputs(tmp_path / "folder")
    code, _ = score(capsys, str(good_shards / "[gq]*.csv"), "-o", str(tmp_path / "some"), "--model",
                    str(small_model_dir))
    assert code == 0
    assert sorted(outputs(tmp_path / "some")) == ["generated.csv", "quoted_newlines.csv"]


@pytest.mark.parametrize("output, message", [
    ("{in}", "-o '{in}' is the folder of the input shard '{in}/generated.csv': each output shard is named after "
             "its input and would replace it; choose another folder"),
    ("{in}/generated.csv", "-o '{in}/generated.csv' is a file: scoring a folder or a glob of shards writes a "
                           "folder, one output shard per input; give a folder"),
    ("-", "'{in}' names several shards: give an output folder with -o, not -"),
    ("{tmp}/missing/out", "the folder '{tmp}/missing' of -o '{tmp}/missing/out' does not exist: create it, "
                          "or choose another output folder"),
])
def test_an_output_that_is_not_a_new_or_separate_folder_is_refused_and_the_inputs_are_left(
        tmp_path, good_shards, small_model_dir, capsys, output, message):
    folder = tmp_path / "in"
    shutil.copytree(good_shards, folder)
    before = outputs(folder)
    fill = {"in": folder, "tmp": tmp_path}
    code, err = score(capsys, str(folder), "-o", output.format(**fill), "--model", str(small_model_dir))
    assert (code, err) == (2, f"twitch-triage score: error: {message.format(**fill)}\n")
    assert outputs(folder) == before and not (folder / shard_manifest.SHARD_MANIFEST_NAME).exists()


def test_shards_of_one_name_in_two_folders_are_refused(tmp_path, good_shards, small_model_dir, capsys):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copy(good_shards / "header_only.csv", tmp_path / sub)
    code, err = score(capsys, str(tmp_path / "*" / "*.csv"), "-o", str(tmp_path / "out"), "--model",
                      str(small_model_dir))
    assert code == 2
    assert err == (f"twitch-triage score: error: '{tmp_path / 'a' / 'header_only.csv'}' and "
                   f"'{tmp_path / 'b' / 'header_only.csv'}' have the same name, and each output shard is named "
                   "after its input: score them into two output folders\n")


@pytest.mark.parametrize("options, message", [
    (["--workers", "2"], "--workers is for --engine dask: add it, or leave the option out"),
    (["--scheduler", "tcp://10.0.0.1:8786"], "--scheduler is for --engine dask: add it, or leave the option out"),
    (["--engine", "dask", "--workers", "2", "--scheduler", "tcp://10.0.0.1:8786"],
     "--workers starts a cluster on this machine, --scheduler uses a running one: give one of them"),
])
def test_engine_options_that_do_not_go_together_are_refused_in_one_line(tmp_path, good_shards, small_model_dir,
                                                                       capsys, options, message):
    code, err = score(capsys, str(good_shards), "-o", str(tmp_path / "out"), "--model", str(small_model_dir),
                      *options)
    assert (code, err) == (2, f"twitch-triage score: error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_engine_dask_on_one_file_says_to_give_its_folder(tmp_path, good_shards, small_model_dir, capsys):
    shard = good_shards / "generated.csv"
    code, err = score(capsys, str(shard), "-o", str(tmp_path / "out.csv"), "--engine", "dask")
    assert (code, err) == (2, f"twitch-triage score: error: --engine dask scores a folder or a glob of shards, and "
                              f"'{shard}' is one file: leave out --engine, or give its folder\n")


def test_an_unreadable_manifest_is_refused_in_one_line_and_force_starts_a_new_one(tmp_path, good_shards,
                                                                                 small_model_dir, capsys):
    out = tmp_path / "out"
    args = [str(good_shards), "-o", str(out), "--model", str(small_model_dir)]
    assert score(capsys, *args)[0] == 0
    path = out / shard_manifest.SHARD_MANIFEST_NAME
    path.write_bytes(path.read_bytes()[:200])  # cut short, as a full disk leaves it
    assert score(capsys, *args) == (2, f"twitch-triage score: error: the manifest '{path}' is "
                                       "unreadable (JSONDecodeError): remove it, or rerun with --force to score "
                                       "every shard again\n")
    assert score(capsys, *args, "--force")[0] == 0
    assert sorted(manifest(out)) == sorted(outputs(good_shards))


def test_force_never_replaces_a_manifest_this_command_did_not_write(tmp_path, good_shards, small_model_dir, capsys):
    out = tmp_path / "models"
    out.mkdir()
    for content in ("{not json", '{"file": "model.joblib", "sha256": "ab"}'):
        (out / shard_manifest.SHARD_MANIFEST_NAME).write_text(content)
        for force in ([], ["--force"]):
            code, err = score(capsys, str(good_shards), "-o", str(out), "--model", str(small_model_dir), *force)
            assert code == 2 and "never replaced" in err and err.count("\n") == 1, err
            assert (out / shard_manifest.SHARD_MANIFEST_NAME).read_text() == content
    assert sorted(p.name for p in out.iterdir()) == [shard_manifest.SHARD_MANIFEST_NAME]


def test_a_worker_whose_model_is_not_the_one_planned_with_refuses_to_score(small_model_dir, kb):
    with pytest.raises(InputError, match=f"^the model in {small_model_dir} on .* differs from the one the run was "
                                         "started with: give every worker the same model folder$"):
        task.load(str(small_model_dir), str(Settings().kb_path), "0" * 64, kb.sha256)


def test_a_folder_without_a_csv_file_is_refused(tmp_path, small_model_dir, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("loc_eyelid\nyes\n")
    code, err = score(capsys, str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", str(small_model_dir))
    assert (code, err) == (2, f"twitch-triage score: error: the folder '{tmp_path / 'in'}' holds no CSV file (*.csv): "
                              "give a folder of CSV shards or a glob\n")


def test_a_glob_that_matches_nothing_is_refused(tmp_path, small_model_dir, capsys):
    code, err = score(capsys, str(tmp_path / "*.csv"), "-o", str(tmp_path / "out"), "--model", str(small_model_dir))
    assert (code, err) == (2, f"twitch-triage score: error: '{tmp_path / '*.csv'}' matches no file: check the "
                              "pattern (quote it, so that the shell leaves it to twitch-triage)\n")


def test_each_dask_worker_loads_the_model_once_whatever_the_number_of_shards(tmp_path, good_shards,
                                                                            small_model_dir, cluster, capsys):
    for run in range(2):
        assert score(capsys, str(good_shards), "-o", str(tmp_path / f"out{run}"), "--engine", "dask",
                     "--scheduler", cluster, "--model", str(small_model_dir), "--force")[0] == 0
    with distributed.Client(cluster) as client:
        loads = client.run(lambda: task.load.cache_info().misses)
    assert len(loads) == 2
    assert set(loads.values()) <= {0, 1} and sum(loads.values()) >= 1  # 8 shards scored on the workers, each
    # worker loading the model at most once


def memory_pool_after(*code: str) -> str:
    """The name of pyarrow's default memory pool after a fresh interpreter runs ``code`` (lines)."""
    script = "\n".join([*code, "import pyarrow", "print(pyarrow.default_memory_pool().backend_name)"])
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()[-1]


def test_loading_a_scorer_leaves_the_memory_allocators_of_the_process_as_they_were(small_model_dir, kb):
    model_sha256 = artifact.read_manifest(small_model_dir)["inference_sha256"]
    loads = (f"from twitch_triage.scoring import task; task.load({str(small_model_dir)!r}, "
             f"{str(Settings().kb_path)!r}, {model_sha256!r}, {kb.sha256!r})")
    assert memory_pool_after(loads) == memory_pool_after("import twitch_triage.scoring")


def test_the_local_engine_and_each_dask_worker_score_with_the_lean_memory_pool(tmp_path, good_shards,
                                                                             small_model_dir, cluster, capsys):
    lean = memory_pool_after("from twitch_triage.scoring import lean_memory_pool; lean_memory_pool()")
    if lean == memory_pool_after("import twitch_triage.scoring"):
        pytest.skip("this pyarrow has no jemalloc: the lean pool is its default")
    args = ["score", str(good_shards), "-o", str(tmp_path / "local"), "--model", str(small_model_dir), "--quiet"]
    assert memory_pool_after(f"from twitch_triage.cli import main; main({args!r})") == lean
    assert score(capsys, str(good_shards), "-o", str(tmp_path / "dask"), "--engine", "dask", "--scheduler", cluster,
                 "--model", str(small_model_dir))[0] == 0
    with distributed.Client(cluster) as client:
        assert set(client.run(lambda: __import__("pyarrow").default_memory_pool().backend_name).values()) == {lean}


def test_engine_dask_without_dask_says_in_one_line_how_to_get_it(tmp_path, good_shards, small_model_dir):
    hide = "import sys; sys.modules['distributed'] = None; from twitch_triage.cli import main; sys.exit(main())"
    r = subprocess.run([sys.executable, "-c", hide, "score", str(good_shards), "-o", str(tmp_path / "out"),
                        "--engine", "dask", "--model", str(small_model_dir)], capture_output=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.decode() == ("twitch-triage score: error: --engine dask needs Dask: pip install "
                                 "'twitch-triage[dask]' (or leave out --engine to score on this machine)\n")
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def many_shards(tmp_path_factory, kb):
    """Ten shards of 30,000 cases: long enough to be stopped halfway."""
    folder = tmp_path_factory.mktemp("many")
    with atomic_output(folder / "shard_00.csv") as sink:
        write_frame(oracle.sample_cases(kb, 30_000, seed=9).to_frame(), sink)
    for k in range(1, 10):
        shutil.copy(folder / "shard_00.csv", folder / f"shard_{k:02}.csv")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("engine, signum", [("local", signal.SIGKILL), ("dask", signal.SIGTERM)])
def test_a_rerun_after_a_run_stopped_halfway_skips_the_shards_done_and_ends_as_a_clean_run(
        tmp_path, many_shards, small_model_dir, cluster, capsys, engine, signum):
    out, clean = tmp_path / "out", tmp_path / "clean"
    args = [str(many_shards), "-o", str(out), "--model", str(small_model_dir), "--quiet"]
    if engine == "dask":
        args += ["--engine", "dask", "--scheduler", cluster]
    process = subprocess.Popen([sys.executable, "-m", "twitch_triage", "score", *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    journal = out / shard_manifest.JOURNAL_NAME  # a line is added to it after each shard
    while not (journal.exists() and journal.stat().st_size):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode in (-signum, 128 + signum), err.decode()
    done = [name for name, r in manifest(out).items() if r["status"] == "done"]
    assert 1 <= len(done) < 10, "the run was not stopped halfway"
    code, err = score(capsys, *args)
    assert code == 0, err
    assert f"10 of 10 shards done ({len(done)} skipped: done before), 0 failed" in err
    assert score(capsys, str(many_shards), "-o", str(clean), "--model", str(small_model_dir))[0] == 0
    assert outputs(out) == outputs(clean)
    assert manifest(out).keys() == manifest(clean).keys()


@settings(max_examples=10)
@given(cuts=st.lists(st.integers(0, 40), max_size=4, unique=True))
def test_scoring_a_file_cut_into_shards_gives_the_rows_of_scoring_it_whole(tmp_path_factory, small_model_dir,
                                                                        cuts):
    lines = (many_rows := _rows()).splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    folder = tmp_path_factory.mktemp("cut")
    bounds = [0, *sorted(cuts), len(rows)]
    for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
        (folder / f"part_{k}.csv").write_text(header + "".join(rows[a:b]))
    whole = folder / "whole.txt"
    whole.write_text(many_rows)
    out = tmp_path_factory.mktemp("scored")
    assert cli.main(["score", str(folder / "part_*.csv"), "-o", str(out / "parts"), "--model", str(small_model_dir),
                     "--quiet"]) == 0
    assert cli.main(["score", str(whole), "-o", str(out / "whole.csv"), "--model", str(small_model_dir),
                     "--quiet"]) == 0
    scored_header, *scored = (out / "whole.csv").read_text().splitlines(keepends=True)
    parts = [(out / "parts" / f"part_{k}.csv").read_text().splitlines(keepends=True) for k in range(len(bounds) - 1)]
    assert all(part[0] == scored_header for part in parts)
    assert [row for part in parts for row in part[1:]] == scored


def _rows() -> str:
    """40 cases, one answer yes per row in turn, as CSV text."""
    names = ["case_id", *contract.ANSWERS]
    return ",".join(names) + "\n" + "".join(
        line({**ANSWERS_ROW, "case_id": f"r{k}", contract.ANSWERS[k % len(contract.ANSWERS)]: "yes"}, names)
        for k in range(40))
