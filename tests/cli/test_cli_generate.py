"""`twitch-triage generate` and `schema` as the contract says."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from twitch_triage import contract
from twitch_triage import cli


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twitch_triage", *args], capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_generate_writes_n_cases_with_answers_and_true_labels(tmp_path):
    out = tmp_path / "cases.csv"
    r = run("generate", "--n", "50", "--seed", "3", "-o", str(out))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(newline="")))
    assert len(rows) == 50
    assert list(rows[0]) == ["case_id", *contract.ANSWERS, *contract.LABELS]
    for row in rows:
        for a in contract.ANSWERS:
            if a == contract.DAYS_ANSWER:
                assert row[a] == "" or int(row[a]) >= 0
            else:
                assert row[a] in {"yes", "no", ""}
        assert {row[label] for label in contract.LABELS} <= {"0", "1"}


def test_generate_is_deterministic_and_can_write_to_stdout(tmp_path):
    a = run("generate", "--n", "20", "--seed", "9", "-o", "-")
    b = run("generate", "--n", "20", "--seed", "9", "-o", str(tmp_path / "b.csv"))
    assert a.returncode == b.returncode == 0
    assert a.stdout == (tmp_path / "b.csv").read_text()


def test_generate_zero_cases_writes_only_the_header(tmp_path):
    out = tmp_path / "none.csv"
    assert run("generate", "--n", "0", "-o", str(out)).returncode == 0
    assert out.read_text().splitlines() == [",".join(["case_id", *contract.ANSWERS, *contract.LABELS])]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "--n", "-5", "-o", "x.csv"], "argument --n: -5 is negative; give a number >= 0"),
        (["generate", "--n", "ten", "-o", "x.csv"], "argument --n: 'ten' is not a whole number"),
        (["generate", "--n", "5"], "the following arguments are required: -o/--output"),
        (["generate", "--n", "5", "-o", "/no/such/folder/x.csv"], "output folder '/no/such/folder' does not exist"),
    ],
)
def test_bad_generate_arguments_exit_2_with_one_line(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_schema_prints_every_input_column_with_type_and_meaning():
    r = run("schema")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    for a in contract.ANSWERS:
        line = next(line for line in lines if line.split()[0:1] == [a])
        assert ("yes/no/unknown" in line) or (a == contract.DAYS_ANSWER and "days" in line)
        assert "?" in line  # the question asked
    assert "clinical" in next(line for line in lines if line.startswith("breathing_difficulty"))
    assert "clinical" in next(line for line in lines if line.startswith("calf_swelling"))
    assert "[articles]" in next(line for line in lines if line.startswith("painful"))
    assert "[articles]" in next(line for line in lines if line.startswith("irregular_heartbeat"))


def test_schema_as_csv_lists_case_id_and_every_answer():
    r = run("schema", "--format", "csv")
    rows = list(csv.DictReader(r.stdout.splitlines()))
    assert [row["name"] for row in rows] == ["case_id", *contract.ANSWERS]


def test_every_command_has_help_with_an_example(capsys):
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert "example" in p.format_help(), name
    assert "examples:" in parser.format_help()


def test_a_full_disk_is_exit_2_with_one_line_and_no_partial_file(tmp_path, with_tmpfs):
    folder = tmp_path / "small-disk"
    folder.mkdir()
    generate = f"'{sys.executable}' -m twitch_triage generate --n 2000 -o '{folder / 'cases.csv'}'"
    then_list = f"{generate}; code=$?; ls -A '{folder}'; exit $code"
    r = subprocess.run([*with_tmpfs(folder, "size=64k"), "sh", "-c", then_list], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2
    assert r.stderr == (f"twitch-triage generate: error: cannot write to '{folder}': no space left on device; "
                        "choose another -o path\n")
    assert r.stdout == ""  # the folder is empty: the partial file was removed


def test_a_folder_the_user_may_not_write_to_is_exit_2_with_one_line():
    user = []  # root may write anywhere: it runs the command as root without the capability to override modes
    if os.geteuid() == 0:  # (as root still: another user could not read a clone in a folder only root may enter)
        if not shutil.which("setpriv"):
            pytest.skip("running a command without a capability needs setpriv")
        drop = "-dac_override,-dac_read_search"
        user = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"]
    with tempfile.TemporaryDirectory(prefix="twitch-triage-test-") as name:  # where nobody can reach it
        folder = Path(name)
        folder.chmod(0o555)
        r = subprocess.run([*user, sys.executable, "-m", "twitch_triage", "generate", "--n", "10",
                            "-o", str(folder / "cases.csv")], capture_output=True, text=True, timeout=120)
        assert r.returncode == 2
        assert r.stderr == (f"twitch-triage generate: error: cannot write to '{folder}': permission denied; "
                            "choose another -o path\n")
        assert list(folder.iterdir()) == []


def test_generate_writes_in_chunks_what_the_library_samples_at_once(tmp_path, kb):
    from twitch_triage import oracle
    from twitch_triage.io.casefiles import write_frame
    from twitch_triage.io.files import atomic_output

    n = oracle.SAMPLE_ROWS + 1  # past the first chunk
    out = tmp_path / "cases.csv"
    assert run("generate", "--n", str(n), "--seed", "12", "-o", str(out)).returncode == 0
    with atomic_output(tmp_path / "whole.csv") as sink:
        write_frame(oracle.sample_cases(kb, n, 12).to_frame(), sink)
    assert out.read_bytes() == (tmp_path / "whole.csv").read_bytes()


@pytest.mark.parametrize("descriptor", ["/dev/stdout", "/proc/self/fd/1"])
def test_an_open_file_descriptor_is_written_to_not_replaced(tmp_path, descriptor):
    log = tmp_path / "log.csv"
    log.write_text("kept\n")
    with log.open("ab") as stdout:  # as a shell's >> opens it
        r = subprocess.run([sys.executable, "-m", "twitch_triage", "generate", "--n", "2", "-o", descriptor],
                           stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = log.read_text().splitlines()
    assert lines[0] == "kept" and lines[1].startswith("case_id,") and len(lines) == 4
    assert os.path.islink("/dev/stdout")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv"]
