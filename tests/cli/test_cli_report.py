"""`twitch-triage report ANSWERS_JSON --format pdf|text|fhir -o FILE`: the report for programs; bad input is one
line, exit 2, and no file."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pypdf
import pytest
from fhir.resources.R4B.bundle import Bundle

from twitch_triage.report import person
from twitch_triage import cli

CASE = '{"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "chest_pain": "no", "duration_days": 21}'
DETAILS = ["--age", "42", "--sex", "Female", "--medicines", "ramipril 5 mg"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twitch_triage", "report", *args], input=stdin,
                          capture_output=True, timeout=180)


def test_report_writes_a_one_page_pdf_with_the_person_s_details(small_model_dir, tmp_path):
    out = tmp_path / "report.pdf"
    assert cli.main(["report", CASE, "--format", "pdf", "-o", str(out), *DETAILS, "--model", str(small_model_dir)]) == 0
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) == 1 and "Page 1 of 1" in text
    assert "Age: 42 \u00b7 Sex: female \u00b7 Current medicines: ramipril 5 mg" in text
    assert "Twitching for more than two weeks" in text


def test_report_writes_plain_text_to_standard_output(small_model_dir):
    done = run(CASE, "--format", "text", "-o", "-", "--model", str(small_model_dir))
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")
    assert text.startswith("Muscle twitching: a report for the doctor\n") and "No: chest pain" in text
    assert done.stderr == b""


def test_report_writes_a_fhir_bundle_from_answers_on_standard_input(small_model_dir, tmp_path):
    out = tmp_path / "case.json"
    done = run("--format", "fhir", "-o", str(out), *DETAILS, "--model", str(small_model_dir),
               stdin=b'{"chest_pain": "yes"}')
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert Bundle.model_validate(data).type == "collection"
    risk = next(e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "RiskAssessment")
    assert "Disposition: emergency." in risk["note"][0]["text"]
    assert b"wrote the fhir report (emergency)" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["{"], "the answers are not valid JSON (Expecting property name enclosed in double quotes, line 1 column 2)"),
    (["[1]"], "the answers are a list, not a JSON object"),
    (['{"loc_eyeli": "yes"}'], "'loc_eyeli' is not an answer: did you mean loc_eyelid?"),
    (['{"cramps": "often"}'], "cramps: 'often' is not yes/no/unknown"),
    ([CASE, "--age", "131"], "argument --age: age '131' is not a whole number from 0 to 130"),
    ([CASE, "--age", "forty"], "argument --age: age 'forty' is not a whole number"),
    ([CASE, "--age", "41.5"], "argument --age: age '41.5' is not a whole number from 0 to 130"),
    ([CASE, "--age", "-1"], "argument --age: age '-1' is not a whole number from 0 to 130"),
    ([CASE, "--sex", "robot"], "argument --sex: invalid choice: 'robot'"),
    ([CASE, "--medicines", "x" * 301], "the medicines are 301 characters long: shorten them to at most 300"),
    ([CASE, "--format", "markdown"], "argument --format: invalid choice: 'markdown'"),
])
def test_report_refuses_bad_input_in_one_line_with_exit_2_and_leaves_no_file(small_model_dir, tmp_path, args,
                                                                            message):
    out = tmp_path / "report.pdf"
    done = run(*args, "-o", str(out), "--model", str(small_model_dir))
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 2, stderr
    assert message in stderr and stderr.startswith("twitch-triage report: error: ")
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [] and done.stdout == b""


def test_report_keeps_an_existing_file_when_the_input_is_bad(small_model_dir, tmp_path):
    out = tmp_path / "report.txt"
    out.write_text("the earlier report\n")
    assert run("{", "-o", str(out), "--model", str(small_model_dir)).returncode == 2
    assert out.read_text() == "the earlier report\n"


@pytest.mark.parametrize("text, age", [("0", 0), ("130", 130), (" 42 ", 42), ("42.0", 42), ("", None)])
def test_an_age_is_a_whole_number_from_0_to_130_or_blank(text, age):
    assert person.parse(age=text).age == age


def test_medicines_are_kept_as_one_line_of_plain_text():
    given = person.parse(medicines="ramipril\n5 mg\t**bold** <b>x</b>\x1b[31m")
    assert given.medicines == "ramipril 5 mg **bold** <b>x</b> [31m"
    assert person.parse(sex=" MALE ").sex == "male" and person.parse().given is False


def test_report_help_shows_an_example_with_every_format_and_the_details(capsys):
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    out = capsys.readouterr().out
    assert "twitch-triage report '{" in out and "-o report.pdf" in out
    for option in ("--format {pdf,text,fhir}", "--age", "--sex", "--medicines", "ANSWERS_JSON"):
        assert option in out
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "twitch-triage report" in capsys.readouterr().out
