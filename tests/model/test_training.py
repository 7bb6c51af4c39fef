"""train(): its stages shown as they end when standard error is not a terminal, and nothing when quiet."""

from __future__ import annotations

import re

import pytest

from twitch_triage.model import training

STAGES = [
    r"generate 2,000 cases",
    r"oracle posterior of each \(the network's targets\)",
    r"fit the network \(3 epochs\)",
    r"calibrate 11 outputs \(the labels, p_nothing_lacking\)",
    r"evaluate on 500 held-out cases",
]


def quick_train(kb, quiet: bool) -> training.TrainResult:
    return training.train(kb, n=2_000, seed=1, eval_n=500, eval_seed=2, quiet=quiet, save=False, max_iter=3,
                          hidden_layer_sizes=(8,))


def test_each_stage_prints_one_line_with_its_time_when_standard_error_is_not_a_terminal(kb, capsys):
    quick_train(kb, quiet=False)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == len(STAGES), lines
    for line, stage in zip(lines, STAGES):
        assert re.fullmatch(stage + r": \d+\.\d s", line), line
    assert captured.out == ""


def test_a_quiet_training_prints_nothing(kb, capsys):
    quick_train(kb, quiet=True)
    assert capsys.readouterr() == ("", "")


def test_a_stage_that_fails_prints_no_time(capsys):
    with pytest.raises(RuntimeError, match="boom"):
        with training.stage("doomed", 2):
            raise RuntimeError("boom")
    assert capsys.readouterr().err == ""
