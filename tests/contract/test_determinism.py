"""A case's output cells are the same bytes wherever it sits in a file, however the file is read and
however many BLAS threads run; the one-case path gives the probabilities the file gets."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from twitch_triage import scoring
from twitch_triage import contract
from twitch_triage import oracle
from twitch_triage import triage

import reference_triage

SIZES = {"small": 0, "medium": 10_000, "large": 150_000}  # rows besides the probes
N_PROBES = 24
OUTPUTS = [f"p_{label}" for label in contract.LABELS] + ["p_nothing_lacking", "likely", "disposition", "red_flags", "error"]
L = len(contract.LABELS)
KiB = 1 << 10


def read_rows(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def cells(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[name] for name in OUTPUTS)


def cells_by_case(path) -> dict[str, list[tuple[str, ...]]]:
    """Every probe's output cells, once per line it appears on."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for row in read_rows(path):
        if row["case_id"].startswith("probe-"):
            out.setdefault(row["case_id"], []).append(cells(row))
    return out


@pytest.fixture(scope="module")
def probes(kb, predictor) -> pd.DataFrame:
    """The cases whose probabilities (p_nothing_lacking too) lie closest to a 4-decimal rounding midpoint: where a
    difference in a probability's last bits changes a cell."""
    pool = oracle.sample_cases(kb, 100_000, seed=31)
    P = predictor.predict_all(pool.X)
    distance = np.abs((P * 10_000) % 1 - 0.5).min(axis=1)
    frame = pool.to_frame().iloc[np.argsort(distance)[:N_PROBES]].reset_index(drop=True)
    frame["case_id"] = [f"probe-{i}" for i in range(len(frame))]
    return frame


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("determinism")


@pytest.fixture(scope="module")
def files(folder, kb, probes) -> dict[str, object]:
    """The probes alone; and files of other sizes with the probes on lines 2 to 25 and again on the last
    lines (line 150,025 of the large file)."""
    filler = oracle.sample_cases(kb, SIZES["large"], seed=32).to_frame()
    out = {}
    for name, n in SIZES.items():
        out[name] = folder / f"{name}.csv"
        parts = [probes] if not n else [probes, filler.iloc[:n], probes]
        pd.concat(parts, ignore_index=True).to_csv(out[name], index=False)
    return out


@pytest.fixture(scope="module")
def reference(folder, files, predictor, kb) -> dict[str, tuple[str, ...]]:
    out = folder / "reference.csv"
    scoring.score_file(files["small"], out, predictor, kb)
    return {case: lines[0] for case, lines in cells_by_case(out).items()}


@pytest.mark.parametrize(("name", "block_size"), [
    ("small", 4 * KiB), ("medium", 4 * KiB), ("medium", 64 * KiB), ("large", 64 * KiB), ("large", 1024 * KiB),
])  # (the large file in 4 KiB blocks takes seconds; the medium one has as many chunk boundaries around the probes)
def test_a_case_gets_the_same_cells_on_line_2_and_line_150025_of_files_of_any_size_at_any_block_size(
        folder, files, predictor, kb, reference, name, block_size):
    out = folder / f"{name}-{block_size}.csv"
    scoring.score_file(files[name], out, predictor, kb, block_size=block_size)
    found = cells_by_case(out)
    assert set(found) == set(reference)
    for case, lines in found.items():
        assert len(lines) == (1 if name == "small" else 2)
        assert all(line == reference[case] for line in lines), (case, lines, reference[case])


def test_the_command_writes_the_same_bytes_with_one_or_two_blas_threads(folder, files, small_model_dir, predictor,
                                                                         kb):
    outputs = []
    for threads in ("1", "2"):
        out = folder / f"command-{threads}.csv"
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        r = subprocess.run([sys.executable, "-m", "twitch_triage", "score", str(files["large"]), "-o", str(out),
                            "--model", str(small_model_dir), "--quiet"], capture_output=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr
        outputs.append(out.read_bytes())
    in_process = folder / "in-process.csv"
    scoring.score_file(files["large"], in_process, predictor, kb)
    assert outputs[0] == outputs[1] == in_process.read_bytes()


@given(cuts=st.lists(st.integers(1, 299), max_size=8))
def test_a_case_gets_the_same_probabilities_bit_for_bit_whatever_cases_are_scored_with_it(
        kb, predictor, cases_20k, cuts):
    X = cases_20k.X[:300]
    whole = reference_triage.assess_matrix(X, predictor, kb)
    pieces = [reference_triage.assess_matrix(piece, predictor, kb) for piece in np.split(X, sorted(set(cuts)))]
    assert np.array_equal(np.concatenate([piece.P for piece in pieces]), whole.P)
    assert np.array_equal(np.concatenate([piece.nothing for piece in pieces]), whole.nothing)


def test_one_case_at_a_time_gets_the_probabilities_and_cells_of_the_file(files, predictor, kb, reference):
    rows = {row["case_id"]: row for row in read_rows(files["small"])}
    X = np.array([triage.case_vector(row, predictor.answer_ids)[0] for row in rows.values()])
    many = reference_triage.assess_matrix(np.concatenate([X, X[::-1]]), predictor, kb)
    for i, (case, row) in enumerate(rows.items()):
        one = triage.assess({a: row[a] for a in contract.ANSWERS}, predictor, kb)  # as the app calls it
        p = np.array([one.probabilities[label] for label in contract.LABELS] + [one.p_nothing_lacking])
        for row in (i, -1 - i):
            assert np.array_equal(p, [*many.P[row], many.nothing[row]])
        expected = reference[case]
        assert tuple(f"{v:.4f}" for v in p) == expected[:L + 1]
        assert (";".join(one.likely), one.disposition) == expected[L + 1:L + 3]
        assert ";".join(sorted(r.id for r in one.red_flags)) == ";".join(sorted(filter(None, expected[-2].split(";"))))
