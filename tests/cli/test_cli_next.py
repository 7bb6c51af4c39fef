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


def run_next(text: str, model_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twitch_triage", "next", "-", "--model", str(model_dir)],
                          input=text, capture_output=True, text=True, timeout=120)


def refused_in_one_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr[:300]
    assert done.stdout == "" and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "Warning" not in done.stderr
    return done.stderr


@pytest.mark.parametrize("text, key", [
    ('{"chest_pain": "yes", "chest_pain": "no"}', "chest_pain"),
    ('{"chest_pain": "yes", "loc_eyelid": "no", "chest_pain": "yes"}', "chest_pain"),
])
def test_next_refuses_an_answer_given_twice_naming_it(small_model_dir, text, key):
    line = refused_in_one_line(run_next(text, small_model_dir))
    assert f"'{key}' more than once" in line


@pytest.mark.parametrize("text, message", [
    ('{"duration_days": NaN}', "duration_days: 'NaN' is not a number of days"),
    ('{"duration_days": Infinity}', "duration_days: 'Infinity' is not a number of days"),
    ('{"duration_days": 1e308}', "duration_days: '1e308' is not a number of days"),
    ('{"duration_days": -3}', "duration_days: '-3' is not a number of days"),
    ('{"cramps": NaN}', "cramps: 'NaN' is not yes/no/unknown"),
    ('{"cramps": 1.0}', "cramps: '1.0' is not yes/no/unknown"),
    ('{"cramps": ["yes"]}', "cramps: '<list>' is not yes/no/unknown"),
])
def test_next_judges_a_value_as_the_same_text_in_a_csv_cell(small_model_dir, text, message):
    assert message in refused_in_one_line(run_next(text, small_model_dir))


def test_next_reads_days_beyond_float32_as_a_csv_cell_without_a_warning(small_model_dir, tmp_path):
    """309 digits are a number of days in a CSV cell (long_duration); `next` agrees, and prints no warning."""
    big = "1" + "0" * 308
    done = run_next(f'{{"duration_days": {big}, "loc_eyelid": "no"}}', small_model_dir)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    source = tmp_path / "cases.csv"
    source.write_text(f"duration_days,loc_eyelid\n{big},no\n")
    scored = subprocess.run([sys.executable, "-m", "twitch_triage", "score", str(source), "-o", "-", "--quiet",
                             "--model", str(small_model_dir)], capture_output=True, text=True, timeout=120)
    import csv
    import io
    row = next(csv.DictReader(io.StringIO(scored.stdout)))
    result = json.loads(done.stdout)
    assert result["disposition"] == row["disposition"] and ";".join(result["red_flags"]) == row["red_flags"]
    assert "long_duration" in result["red_flags"]


def test_next_refuses_deeply_nested_json_in_one_line(small_model_dir):
    assert "nested too deeply" in refused_in_one_line(run_next("[" * 100_000, small_model_dir))


@pytest.mark.parametrize("text, shown", [
    ('{"cramps": "yes\\n\\u001b[31mred"}', r"cramps: 'yes\n\x1b[31mred' is not yes/no/unknown"),
    ('{"a\\r\\nb\\u2028": 1}', r"'a\r\nb\u2028' is not an answer"),
])
def test_next_escapes_line_breaks_and_escape_sequences_of_the_input(small_model_dir, text, shown):
    line = refused_in_one_line(run_next(text, small_model_dir))
    assert shown in line and "\x1b" not in line and "\r" not in line


@pytest.mark.parametrize("template", ['{{"cramps": "{}"}}', '{{"{}": "yes"}}', '{{"loc_eyelid{}": "yes"}}'])
def test_next_cuts_a_huge_value_or_key_in_its_error_and_stays_small(small_model_dir, template, tmp_path):
    """A 20 MB value or key: one short line, no did-you-mean over 20 MB, memory a small multiple of the input."""
    text = template.format("x" * (20 << 20))
    peak = tmp_path / "peak_kb"
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's, the test session's, across exec)
    measured = ("import re, sys; from twitch_triage import cli; code = cli.main(sys.argv[1:]); "
                "hwm = re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1); "
                f"open({str(peak)!r}, 'w').write(hwm); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", measured, "next", "-", "--model", str(small_model_dir)],
                          input=text, capture_output=True, text=True, timeout=120)
    line = refused_in_one_line(done)
    assert len(line) < 300 and "x" * 40 + "…'" in line
    assert int(peak.read_text()) < 600_000, f"{peak.read_text()} kB"


# --------------------------------------------------------------------------- the settings main passes down


def test_next_without_model_uses_the_model_folder_the_environment_names(monkeypatch, capsys, tmp_path,
                                                                        small_model_dir):
    answers = '{"loc_eyelid": "yes"}'
    assert cli.main(["next", answers, "--model", str(small_model_dir)]) == 0
    given = capsys.readouterr().out
    monkeypatch.setenv("TWITCH_TRIAGE_MODELS", str(small_model_dir))
    assert cli.main(["next", answers]) == 0
    assert capsys.readouterr().out == given
    monkeypatch.setenv("TWITCH_TRIAGE_MODELS", str(tmp_path))  # no model there
    assert cli.main(["next", answers]) == 2
    assert "make train" in capsys.readouterr().err


def test_the_commands_read_the_knowledge_base_of_the_settings_they_are_given(tmp_path):
    import argparse

    from twitch_triage.cli.inputs import load_kb
    from twitch_triage.knowledge import KnowledgeBaseError
    from twitch_triage.settings import Settings

    with pytest.raises(KnowledgeBaseError, match=str(tmp_path)):
        load_kb(argparse.Namespace(kb=None), Settings(root=tmp_path))  # no data/knowledge_base.yaml there


def test_an_internal_error_is_one_line_and_exit_1_and_a_traceback_only_with_debug_set(monkeypatch, capsys,
                                                                                    small_model_dir):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(interview, "step", broken)
    monkeypatch.delenv("TWITCH_TRIAGE_DEBUG", raising=False)
    args = ["next", '{"loc_eyelid": "yes"}', "--model", str(small_model_dir)]
    assert cli.main(args) == 1
    assert capsys.readouterr().err == ("twitch-triage next: internal error: RuntimeError: boom "
                                       "(set TWITCH_TRIAGE_DEBUG=1 for details)\n")
    monkeypatch.setenv("TWITCH_TRIAGE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(args)
