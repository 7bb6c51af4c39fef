"""`twitch-triage score IN -o OUT` as the contract says: every row out, errors named, bad input refused (exit 2)."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from twitch_triage import contract
from twitch_triage import oracle
from twitch_triage import cli
from twitch_triage.io.casefiles import DEFAULT_BLOCK_SIZE, write_frame
from twitch_triage.io.files import atomic_output

from cli_driver import rows, score


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twitch_triage", *args], capture_output=True, input=stdin,
                          timeout=120)


ANSWERS_ROW = {a: "no" for a in contract.ANSWERS} | {contract.DAYS_ANSWER: "3"}


@pytest.fixture()
def cases(tmp_path):
    """Three cases with notes, a formula-like note, an invalid cell and a red flag."""
    path = tmp_path / "cases.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["note", "case_id", *contract.ANSWERS, "clinic"])
        writer.writeheader()
        writer.writerow({**ANSWERS_ROW, "note": "plain, with a comma", "case_id": "c1", "clinic": "north"})
        writer.writerow({**ANSWERS_ROW, "note": "=HYPERLINK(\"http://x\")", "case_id": "c2", "clinic": "-3",
                         "breathing_difficulty": "YES ", "cramps": "sometimes"})
        writer.writerow({**ANSWERS_ROW, "note": "two\nlines", "case_id": "c3", "clinic": "@home",
                         "loc_eyelid": "", "weakness": "unknown"})
    return path


def test_score_writes_every_row_in_order_with_the_contract_columns(tmp_path, cases, small_model_dir):
    out = tmp_path / "scored.csv"
    r = run("score", str(cases), "-o", str(out), "--model", str(small_model_dir))
    assert r.returncode == 0, r.stderr
    assert out.read_text().split("\n", 1)[0] == ",".join(["note", "case_id", *contract.ANSWERS, "clinic",
                                                          *contract.OUTPUT_COLUMNS])
    scored = rows(out)
    assert [row["case_id"] for row in scored] == ["c1", "c2", "c3"]
    assert [row["disposition"] for row in scored] == ["self_care", "emergency", "self_care"]
    assert r.stderr.decode().strip().splitlines()[-1] == (
        f"scored 3 rows, 1 with invalid cells (scored as unknown); disposition: emergency 1, urgent 0, "
        f"see_doctor 0, self_care 2 -> {out}")


def test_p_nothing_lacking_comes_after_the_labels_with_4_decimals_as_the_model_gives_it(tmp_path, small_model_dir,
                                                                                         predictor, kb):
    cases = oracle.sample_cases(kb, 300, seed=41)
    source, out = tmp_path / "cases.csv", tmp_path / "scored.csv"
    with atomic_output(source) as sink:
        write_frame(cases.to_frame(), sink)
    r = run("score", str(source), "-o", str(out), "--model", str(small_model_dir))
    assert r.returncode == 0, r.stderr
    header = out.read_text().split("\n", 1)[0].split(",")
    labels = [f"p_{label}" for label in contract.LABELS]
    assert header[-15:] == [*labels, "p_nothing_lacking", "likely", "disposition", "red_flags", "error"]
    cells = [row["p_nothing_lacking"] for row in rows(out)]
    assert all(len(c) == 6 and c[1] == "." and 0 <= float(c) <= 1 for c in cells)
    assert cells == [f"{p:.4f}" for p in predictor.predict_all(cases.X)[:, -1]]
    assert len(set(cells)) > 100  # a probability of its own for each case, not a constant


def test_passthrough_columns_keep_their_text_and_formula_like_cells_are_neutralised(tmp_path, cases, small_model_dir,
                                                                                     capsys):
    out = tmp_path / "scored.csv"
    assert score(capsys, str(cases), "-o", str(out), "--model", str(small_model_dir))[0] == 0
    scored = rows(out)
    assert [row["note"] for row in scored] == ["plain, with a comma", "'=HYPERLINK(\"http://x\")", "two\nlines"]
    assert [row["clinic"] for row in scored] == ["north", "-3", "'@home"]
    assert [row["breathing_difficulty"] for row in scored] == ["no", "YES ", "no"]
    assert [row["loc_eyelid"] for row in scored] == ["no", "no", ""]


def test_an_invalid_cell_is_named_scored_as_unknown_and_its_row_still_gets_red_flags(tmp_path, cases, small_model_dir,
                                                                                     capsys):
    out = tmp_path / "scored.csv"
    assert score(capsys, str(cases), "-o", str(out), "--model", str(small_model_dir))[0] == 0
    c2 = rows(out)[1]
    assert c2["error"] == "cramps: 'sometimes' is not yes/no/unknown"
    assert c2["disposition"] == "emergency"
    assert c2["red_flags"] == "breathing_difficulty"
    assert all(0 <= float(c2[f"p_{label}"]) <= 1 for label in contract.LABELS)


def test_unknown_answers_never_fire_a_red_flag(tmp_path, small_model_dir, capsys):
    flagged = ["breathing_difficulty", "irregular_heartbeat", "weakness", "loc_widespread", "duration_days"]
    path = tmp_path / "in.csv"
    path.write_text(",".join(flagged) + "\n" + "\n".join(",".join([s] * len(flagged))
                                                         for s in ["", "unknown", "?", "NA", "n/a"]) + "\n")
    assert score(capsys, str(path), "-o", str(tmp_path / "out.csv"), "--model", str(small_model_dir))[0] == 0
    assert {(row["disposition"], row["red_flags"]) for row in rows(tmp_path / "out.csv")} == {("self_care", "")}


def test_a_semicolon_file_with_a_bom_comes_back_semicolon_delimited_with_its_bom(tmp_path, small_model_dir, capsys):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffcase_id;loc_eyelid;Commentaire\nk1;oui?;café, noir\nk2; Yes ;\n".encode("utf-8"))
    assert score(capsys, str(path), "-o", str(tmp_path / "out.csv"), "--model", str(small_model_dir))[0] == 0
    data = (tmp_path / "out.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfcase_id;loc_eyelid;Commentaire;p_magnesium;")
    scored = rows(tmp_path / "out.csv")
    assert [(r["case_id"], r["loc_eyelid"], r["Commentaire"]) for r in scored] == [("k1", "oui?", "café, noir"),
                                                                                  ("k2", " Yes ", "")]
    assert [r["error"] for r in scored] == ["loc_eyelid: 'oui?' is not yes/no/unknown", ""]


def test_a_misspelt_answer_column_is_warned_about_and_passed_through(tmp_path, small_model_dir, capsys):
    path = tmp_path / "in.csv"
    path.write_text("loc_eyelids,cramps\nyes,no\n")
    code, err = score(capsys, str(path), "-o", str(tmp_path / "out.csv"), "--model", str(small_model_dir))
    assert code == 0
    assert ("twitch-triage score: warning: column 'loc_eyelids' is not an answer; did you mean loc_eyelid? "
            "(passed through unscored)") in err
    assert rows(tmp_path / "out.csv")[0]["loc_eyelids"] == "yes"


def test_strict_refuses_the_whole_file_naming_the_first_bad_cell_and_its_line(tmp_path, cases, small_model_dir,
                                                                              capsys):
    out = tmp_path / "scored.csv"
    code, err = score(capsys, str(cases), "-o", str(out), "--strict", "--model", str(small_model_dir))
    assert code == 2
    assert err == (f"twitch-triage score: error: '{cases}' line 3: cramps: 'sometimes' is not yes/no/unknown "
                   "(--strict refuses the whole file: fix that cell, or leave out --strict to score invalid cells "
                   "as unknown)\n")
    assert not out.exists()


BAD_INPUTS = [
    ("missing.csv", None, "input file '{p}' does not exist: check the path"),
    ("empty.csv", b"", "'{p}' is empty: give a CSV whose first line names the answer columns "
                       "(see `twitch-triage schema`)"),
    ("no_answers.csv", b"name,age\nann,40\n", "'{p}' has none of the answer columns (e.g. loc_eyelid, loc_face, "
                                              "loc_mouth): name the columns as `twitch-triage schema` lists them"),
    ("duplicate.csv", b"case_id,loc_eyelid,case_id\n1,yes,2\n",
     "'{p}' line 1: column 'case_id' appears twice (fields 1 and 3): rename or remove one"),
    ("ragged.csv", b"loc_eyelid,note\nyes,\"a\nb\"\nno,x,y\n",
     "'{p}' line 4 has 3 fields but the header has 2: fix that row (a stray ',' or a missing quote?)"),
    ("latin1.csv", b"loc_eyelid,note\nyes,caf\xe9\n", "'{p}' is not UTF-8 (byte 0xe9 at line 2): re-save it as UTF-8"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_unusable_input_exits_2_with_one_line_and_no_output_file(tmp_path, small_model_dir, capsys, name, content,
                                                                 message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "out.csv"
    code, err = score(capsys, str(path), "-o", str(out), "--model", str(small_model_dir))
    assert code == 2
    assert err == f"twitch-triage score: error: {message.format(p=path)}\n"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ([name] if content is not None else [])


def test_an_output_folder_that_does_not_exist_exits_2(tmp_path, cases, small_model_dir, capsys):
    code, err = score(capsys, str(cases), "-o", str(tmp_path / "nope" / "out.csv"), "--model", str(small_model_dir))
    assert code == 2
    assert err == (f"twitch-triage score: error: output folder '{tmp_path / 'nope'}' does not exist: "
                   "create it or choose another -o path\n")


def test_a_missing_model_exits_2_with_what_to_run(tmp_path, cases, capsys):
    code, err = score(capsys, str(cases), "-o", str(tmp_path / "out.csv"), "--model", str(tmp_path / "no_model"))
    assert code == 2
    assert "run `make train` to rebuild it" in err and err.count("\n") == 1
    assert not (tmp_path / "out.csv").exists()


def test_bad_input_from_a_real_process_gives_no_traceback_and_no_file(tmp_path, small_model_dir):
    path = tmp_path / "ragged.csv"
    path.write_bytes(b"loc_eyelid,cramps\nyes,no\nno\n")
    r = run("score", str(path), "-o", str(tmp_path / "out.csv"), "--model", str(small_model_dir))
    assert r.returncode == 2
    assert r.stderr.decode() == (f"twitch-triage score: error: '{path}' line 3 has 1 field but the header has 2: "
                                 "fix that row (a stray ',' or a missing quote?)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ragged.csv"]


def test_dash_reads_standard_input_and_writes_standard_output(small_model_dir):
    r = run("score", "-", "-o", "-", "--model", str(small_model_dir), stdin=b"case_id,numbness\nz1,yes\nz2,no\n")
    assert r.returncode == 0, r.stderr
    scored = list(csv.DictReader(io.StringIO(r.stdout.decode(), newline="")))
    assert [(row["case_id"], row["disposition"], row["red_flags"]) for row in scored] == [
        ("z1", "see_doctor", "numbness"), ("z2", "self_care", "")]
    assert "-> standard output" in r.stderr.decode()


def test_bad_standard_input_writes_nothing_to_standard_output(small_model_dir):
    r = run("score", "-", "-o", "-", "--model", str(small_model_dir), stdin=b"numbness\nyes\nyes,no\n")
    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr.decode().startswith("twitch-triage score: error: standard input line 3 has")


def test_score_help_shows_an_example(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["score", "--help"])
    assert caught.value.code == 0
    assert "twitch-triage score cases.csv -o scored.csv" in capsys.readouterr().out


def test_scoring_never_unpickles_the_model_so_a_planted_pipeline_never_runs(tmp_path, cases, planted_model):
    marker = tmp_path / "ran"
    folder = planted_model(planted_model.Planted(os.system, f"touch '{marker}'"))
    r = run("score", str(cases), "-o", str(tmp_path / "out.csv"), "--model", str(folder))
    assert r.returncode == 0, r.stderr.decode()
    assert not marker.exists() and (tmp_path / "out.csv").exists()


def test_a_tampered_model_exits_2_in_one_line_and_writes_nothing(tmp_path, cases, small_model_dir):
    folder = tmp_path / "m"
    shutil.copytree(small_model_dir, folder)
    (folder / "model.npz").write_bytes(b"not a model")
    r = run("score", str(cases), "-o", str(tmp_path / "out.csv"), "--model", str(folder))
    err = r.stderr.decode()
    assert r.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert "checksum" in err and "run `make train`" in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_a_manifest_field_of_the_wrong_type_exits_2_in_one_line(tmp_path, cases, small_model_dir, capsys):
    folder = tmp_path / "m"
    shutil.copytree(small_model_dir, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["versions"] = ["scikit-learn"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    code, err = score(capsys, str(cases), "-o", str(tmp_path / "out.csv"), "--model", str(folder))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "'versions' is a list, not an object" in err and "run `make train`" in err


# --------------------------------------------------------------------------- what the output path is


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_a_character_device_is_written_to_and_never_replaced(tmp_path, cases, small_model_dir, capsys, device):
    code, err = score(capsys, str(cases), "-o", device, "--model", str(small_model_dir))
    assert stat.S_ISCHR(os.stat(device).st_mode)
    if device == "/dev/null":
        assert code == 0, err
    else:
        assert code == 2
        assert err == ("twitch-triage score: error: cannot write to '/dev/full': no space left on device; "
                       "choose another -o path\n")


def test_a_fifo_gets_the_scored_rows_and_stays_a_fifo(tmp_path, cases, small_model_dir, capsys):
    fifo = tmp_path / "scored.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, err = score(capsys, str(cases), "-o", str(fifo), "--model", str(small_model_dir))
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    reader.join(timeout=60)
    assert [row["case_id"] for row in csv.DictReader(io.StringIO(received[0].decode()))] == ["c1", "c2", "c3"]


def test_a_symbolic_link_stays_a_link_and_the_file_it_points_to_gets_the_rows(tmp_path, cases, small_model_dir,
                                                                               capsys):
    (tmp_path / "kept").mkdir()
    real = tmp_path / "kept" / "scored.csv"
    real.write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    code, err = score(capsys, str(cases), "-o", str(link), "--model", str(small_model_dir))
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real
    assert [row["case_id"] for row in rows(real)] == ["c1", "c2", "c3"]
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["scored.csv"]


@pytest.mark.parametrize("how", ["same path", "symbolic link", "hard link"])
def test_the_output_is_refused_when_it_is_the_input_and_the_input_is_left_as_it_was(tmp_path, cases, capsys, how):
    before = cases.read_bytes()
    out = cases
    if how != "same path":
        out = tmp_path / "scored.csv"
        out.symlink_to(cases) if how == "symbolic link" else out.hardlink_to(cases)
    # refused before anything else: not even the model (missing here) is looked for
    code, err = score(capsys, str(cases), "-o", str(out), "--model", str(tmp_path / "no_model"))
    assert code == 2
    link = "" if how == "same path" else " (the same file through a link)"
    assert err == (f"twitch-triage score: error: -o '{out}' is the input file '{cases}'{link}: writing it would "
                   "destroy the input; choose another -o path\n")
    assert cases.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"cases.csv", out.name})


def test_standard_input_read_from_the_output_file_is_refused(tmp_path, cases, small_model_dir):
    before = cases.read_bytes()
    with cases.open("rb") as stdin:
        r = subprocess.run([sys.executable, "-m", "twitch_triage", "score", "-", "-o", str(cases),
                            "--model", str(small_model_dir)], stdin=stdin, capture_output=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.decode() == (f"twitch-triage score: error: -o '{cases}' is the input file on standard input: "
                                 "writing it would destroy the input; choose another -o path\n")
    assert cases.read_bytes() == before


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664], ids=lambda mode: f"{mode:04o}")
def test_an_existing_output_keeps_its_mode(tmp_path, cases, small_model_dir, capsys, mode):
    out = tmp_path / "scored.csv"
    out.write_text("old\n")
    out.chmod(mode)
    assert score(capsys, str(cases), "-o", str(out), "--model", str(small_model_dir))[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert len(rows(out)) == 3


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a file to another owner needs root")
def test_an_existing_output_keeps_its_owner(tmp_path, cases, small_model_dir, capsys):
    out = tmp_path / "scored.csv"
    out.write_text("old\n")
    os.chown(out, 4321, 4322)
    assert score(capsys, str(cases), "-o", str(out), "--model", str(small_model_dir))[0] == 0
    assert (out.stat().st_uid, out.stat().st_gid) == (4321, 4322)


def test_a_read_only_output_is_refused_and_left_as_it_was(tmp_path, cases, small_model_dir, capsys):
    out = tmp_path / "scored.csv"
    out.write_text("kept\n")
    out.chmod(0o444)
    code, err = score(capsys, str(cases), "-o", str(out), "--model", str(small_model_dir))
    assert code == 2
    assert err == (f"twitch-triage score: error: output file '{out}' is not writable (mode 0444): make it writable "
                   "or choose another -o path\n")
    assert out.read_text() == "kept\n" and stat.S_IMODE(out.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv", "scored.csv"]


def test_a_read_only_output_folder_is_exit_2_with_one_line(tmp_path, cases, small_model_dir, with_tmpfs):
    folder = tmp_path / "read-only"
    folder.mkdir()
    r = subprocess.run([*with_tmpfs(folder, "ro"), sys.executable, "-m", "twitch_triage", "score", str(cases),
                        "-o", str(folder / "scored.csv"), "--model", str(small_model_dir)],
                       capture_output=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.decode() == (f"twitch-triage score: error: cannot write to '{folder}': read-only file system; "
                                 "choose another -o path\n")


# --------------------------------------------------------------------------- signals


def many_cases(path, thousands: int):
    """``thousands`` x 1,000 cases of yes, no and unknown answers at ``path``."""
    values = ["yes", "no", ""] * len(contract.ANSWERS)
    row = ",".join(["c", *values[:len(contract.ANSWERS) - 1], "3"]) + "\n"
    with path.open("w") as out:
        out.write(",".join(["case_id", *contract.ANSWERS]) + "\n")
        for _ in range(thousands // 100):
            out.write(row * 100_000)
        out.write(row * (thousands % 100 * 1000))
    return path


@pytest.fixture(scope="module")
def big_cases(tmp_path_factory):
    """2,000,000 cases (about 300 MB): scoring them takes about 4 s on 2 cores, so a signal sent once the output
    file appears finds the run busy, even when this process is slow to send it (400,000 cases, scored in 0.8 s,
    once let a run end first)."""
    return many_cases(tmp_path_factory.mktemp("big") / "big.csv", 2_000)


def started_writing(process: subprocess.Popen, folder) -> None:
    """Wait until ``process`` has its partial output file in ``folder``."""
    while not list(folder.glob(".*.part")):
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.01)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda signum: signum.name)
def test_a_signal_while_scoring_removes_the_partial_file_and_exits_128_plus_its_number(tmp_path, big_cases,
                                                                                       small_model_dir, signum):
    process = subprocess.Popen([sys.executable, "-m", "twitch_triage", "score", str(big_cases),
                                "-o", str(tmp_path / "scored.csv"), "--model", str(small_model_dir), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started_writing(process, tmp_path)
    assert process.poll() is None, "the run ended before the signal: give it more cases"
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum
    assert err.decode() == f"twitch-triage score: stopped by {signum.name}; no partial output file was left\n"
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_closes_standard_output_early_gives_exit_141_and_one_line(tmp_path, small_model_dir):
    cases = many_cases(tmp_path / "cases.csv", 200)  # (standard output gets the rows once all are scored)
    process = subprocess.Popen([sys.executable, "-m", "twitch_triage", "score", str(cases), "-o", "-",
                                "--model", str(small_model_dir), "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.read(100).startswith(b"case_id,")
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 128 + signal.SIGPIPE
    assert err == ("twitch-triage score: stopped by SIGPIPE (the output's reader closed it); "
                   "no partial output file was left\n")



@pytest.fixture(scope="module")
def generated(tmp_path_factory, kb) -> tuple[bytes, list[bytes]]:
    """60,000 cases as `twitch-triage generate` writes them: the header line and the rows' lines."""
    path = tmp_path_factory.mktemp("generated") / "cases.csv"
    with atomic_output(path) as sink:
        write_frame(oracle.sample_cases(kb, 60_000, seed=1).to_frame(), sink)
    header, *rows = path.read_bytes().splitlines(keepends=True)
    return header, rows


def run_many(times: int, *args: str, file_size: int | None = None) -> list[subprocess.CompletedProcess]:
    """The command run ``times`` times at once, each in a process of its own with a timeout; with
    ``file_size``, writing more than that many bytes to a file fails (EFBIG)."""
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    processes = [subprocess.Popen([sys.executable, "-m", "twitch_triage", *args], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, preexec_fn=limited if file_size else None)
                 for _ in range(times)]
    done = []
    try:
        for process in processes:
            _, err = process.communicate(timeout=180)
            done.append(subprocess.CompletedProcess(process.args, process.returncode, None, err))
    finally:
        for process in processes:
            process.kill()
    return done


def spoilt(header: bytes, rows: list[bytes], placement: str) -> tuple[bytes, list[str], str]:
    """The generated file with one error placed, the arguments it needs, and the message (``{p}``: its path)."""
    rows = list(rows)
    if placement == "early":  # as reported: one latin-1 byte on line 11
        rows[9] = rows[9].replace(b",", b"\xe9,", 1)
        return header + b"".join(rows), [], "'{p}' is not UTF-8 (byte 0xe9 at line 11): re-save it as UTF-8"
    if placement == "at a block boundary":  # a field too many in the first row of the second block read
        starts = np.cumsum([0] + [len(row) for row in rows[:-1]])  # (a block holds the rows starting in its size)
        row = int(np.searchsorted(starts, DEFAULT_BLOCK_SIZE, side="right"))
        rows[row] = rows[row].rstrip(b"\n") + b",extra\n"
        fields = header.count(b",") + 2
        return header + b"".join(rows), [], (f"'{{p}}' line {row + 2} has {fields} fields but the header has "
                                             f"{fields - 1}: fix that row (a stray ',' or a missing quote?)")
    if placement == "late":  # an invalid cell on the last line, under --strict
        cells = rows[-1].split(b",")
        cells[header.split(b",").index(b"loc_eyelid")] = b"maybe"
        rows[-1] = b",".join(cells)
        return header + b"".join(rows), ["--strict"], ("'{p}' line 60001: loc_eyelid: 'maybe' is not yes/no/unknown "
                                                       "(--strict refuses the whole file")
    if placement == "a 20 MB cell":
        rows[30_000] = b"x" * (20 << 20) + rows[30_000]
        return header + b"".join(rows), [], ("'{p}': a row from line 30002 on is longer than 1,048,576 bytes, more "
                                             "than is read at a time: split or shorten its cells")
    raise ValueError(placement)


@pytest.mark.parametrize(("placement", "times"), [("early", 10), ("at a block boundary", 10), ("late", 10),
                                                  ("a 20 MB cell", 3)])
def test_an_input_error_anywhere_ends_the_command_with_its_one_line_every_time(tmp_path, small_model_dir, generated,
                                                                              placement, times):
    data, args, message = spoilt(*generated, placement)
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    out = tmp_path / "out.csv"
    for done in run_many(times, "score", str(path), "-o", str(out), "--model", str(small_model_dir), *args):
        assert done.returncode == 2, done.stderr.decode()[-2000:]
        err = done.stderr.decode()
        assert err.startswith(f"twitch-triage score: error: {message.format(p=path)}") and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # no output, no partial file


def test_a_write_error_ends_the_command_with_one_line_every_time(tmp_path, small_model_dir, generated):
    header, rows = generated
    path = tmp_path / "in.csv"
    path.write_bytes(header + b"".join(rows))
    out = tmp_path / "out.csv"
    for done in run_many(3, "score", str(path), "-o", str(out), "--model", str(small_model_dir), file_size=4 << 20):
        assert done.returncode == 2, done.stderr.decode()[-2000:]
        assert done.stderr.decode() == (f"twitch-triage score: error: cannot write to '{tmp_path}': file too large; "
                                        "choose another -o path\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_column_name_beyond_the_csv_field_limit_is_one_line_and_exit_2(tmp_path, small_model_dir):
    path = tmp_path / "long.csv"
    path.write_text("loc_eyelid," + "x" * 140_000 + "\nyes,1\n")
    r = run("score", str(path), "-o", str(tmp_path / "out.csv"), "--model", str(small_model_dir))
    err = r.stderr.decode()
    assert r.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert "line 1: a column name is longer than 131,072 characters" in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("content, kind", [
    (b"\x1f\x8b\x08\x00" + bytes(range(200)), "a gzip archive"),
    (b"PK\x03\x04" + bytes(range(200)), "a zip archive or an Excel workbook"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(200)), "a PNG image"),
    (b"%PDF-1.7\n" + bytes(range(200)), "a PDF document"),
])
def test_a_file_that_is_not_text_is_named_as_such_not_told_to_re_save_as_utf8(capsys, tmp_path, small_model_dir,
                                                                              content, kind):
    path = tmp_path / "cases.csv"
    path.write_bytes(content)
    code, err = score(capsys, str(path), "-o", str(tmp_path / "out.csv"), "--model", str(small_model_dir))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "is not a text CSV file" in err and kind in err and "re-save it as UTF-8" not in err


def test_a_file_without_answer_columns_is_told_every_near_miss(tmp_path, small_model_dir, capsys):
    src = tmp_path / "near.csv"
    src.write_text("cramp,duration,caffeine,name\nyes,3,no,ann\n", encoding="utf-8")
    code, err = score(capsys, str(src), "-o", str(tmp_path / "out.csv"), "--model", str(small_model_dir))
    assert code == 2 and err.count("\n") == 1
    assert "did you mean cramps for 'cramp', duration_days for 'duration', high_caffeine for 'caffeine'?" in err
    assert "'name'" not in err
