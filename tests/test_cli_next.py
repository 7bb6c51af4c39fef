"""`twitch-triage next [ANSWERS_JSON]`: one interview step as one JSON object; bad input is one line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from twitch_triage import cli, interview


def test_next_prints_the_step_of_the_answers_given_as_an_argument(capsys, kb, predictor, small_model_dir):
    code = cli.main(["next", '{"loc_eyelid": "yes", "duration_days": 3}', "--model", str(small_model_dir)])
    out = capsys.readouterr().out
    assert code == 0 and out.count("\n") == 1
    assert json.loads(out) == interview.step({"loc_eyelid": "yes", "duration_days": 3}, kb=kb, model=predictor)


@pytest.mark.parametrize("argument", [[], ["-"]])
def test_next_reads_the_answers_from_standard_input(small_model_dir, argument):
    done = subprocess.run([sys.executable, "-m", "twitch_triage", "next", *argument, "--model", str(small_model_dir)],
                          input=b'{"chest_pain": "yes"}', capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["should_stop"] and result["question"] is None and result["disposition"] == "emergency"


@pytest.mark.parametrize("text, message", [
    ("{", "the answers are not valid JSON (Expecting property name enclosed in double quotes, line 1 column 2)"),
    ("[1, 2]", "the answers are a list, not a JSON object"),
    ('{"loc_eyeli": "yes"}', "'loc_eyeli' is not an answer: did you mean loc_eyelid?"),
    ('{"cramps": "often"}', "cramps: 'often' is not yes/no/unknown"),
    ('{"duration_days": "two"}', "duration_days: 'two' is not a number of days >= 0 or unknown"),
])
def test_next_refuses_bad_input_in_one_line_with_exit_2(small_model_dir, text, message):
    done = subprocess.run([sys.executable, "-m", "twitch_triage", "next", text, "--model", str(small_model_dir)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"twitch-triage next: error: {message}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_next_help_shows_an_example(capsys):
    with pytest.raises(SystemExit):
        cli.main(["next", "--help"])
    assert "twitch-triage next '{" in capsys.readouterr().out
