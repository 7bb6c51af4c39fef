"""What a fresh ``twitch-triage`` process imports: each command loads only what it uses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from twitch_triage import contract

# Runs the command line in a fresh interpreter, then writes its exit code and every module it imported.
_DRIVER = (
    "import json, sys\n"
    "from twitch_triage.cli import main\n"
    "try:\n"
    "    code = main(sys.argv[2:])\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "with open(sys.argv[1], 'w') as handle:\n"
    "    json.dump({'code': code, 'modules': sorted(sys.modules)}, handle)\n"
)
_NUMERICAL = ("numpy", "pandas", "pyarrow", "scipy", "sklearn", "joblib", "matplotlib", "streamlit", "tqdm")
_NOT_FOR_SCORING = ("sklearn", "scipy", "joblib", "matplotlib", "streamlit", "altair", "twitch_triage.oracle",
                    "twitch_triage.model.training", "twitch_triage.model.card", "twitch_triage.model.evaluation",
                    "twitch_triage.model.estimators", "twitch_triage.model.unpickler")


def imported(tmp_path, *args: str) -> tuple[int, set[str]]:
    """The exit code of ``twitch-triage ARGS`` in a fresh process, and the modules it imported."""
    report = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", _DRIVER, str(report), *args], capture_output=True, timeout=120,
                   check=False)
    result = json.loads(report.read_text())
    return result["code"], set(result["modules"])


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules or any(m.startswith(f"{name}.") for m in modules)]


@pytest.mark.parametrize("args", [["--help"], ["schema"], ["schema", "--format", "csv"], ["score", "--help"]])
def test_help_and_schema_import_no_numerical_library(tmp_path, args):
    code, modules = imported(tmp_path, *args)
    assert code == 0
    assert loaded(modules, _NUMERICAL) == []


def scored(tmp_path, model_dir, text: str = "case_id,loc_eyelid\n1,yes\n") -> set[str]:
    """The modules a `score` process of a case file (by default one row) imported (it succeeded)."""
    cases = tmp_path / "cases.csv"
    cases.write_text(text, encoding="utf-8")
    code, modules = imported(tmp_path, "score", str(cases), "-o", str(tmp_path / "out.csv"), "--quiet",
                             "--model", str(model_dir))
    assert code == 0
    return modules


def test_score_imports_neither_scikit_learn_nor_plotting_nor_the_app_nor_training_code(tmp_path, small_model_dir):
    assert loaded(scored(tmp_path, small_model_dir), _NOT_FOR_SCORING) == []
    assert (tmp_path / "out.csv").read_text().splitlines()[0].endswith(",".join(contract.OUTPUT_COLUMNS))


# invalid answers and days, cells to neutralise and to quote, an empty line: every path a file takes
_ODD_CELLS = ('case_id,loc_eyelid,duration_days,note\n1,yes,3,\n"a,b",maybe,x,=1+2\n\n=cmd, No ,1e3,"say ""hi"""\n')


@pytest.mark.parametrize("text, rows", [("case_id,loc_eyelid\n1,yes\n", 1), (_ODD_CELLS, 3)], ids=["plain", "odd cells"])
def test_score_does_not_import_pandas(tmp_path, small_model_dir, text, rows):
    assert loaded(scored(tmp_path, small_model_dir, text), ("pandas",)) == []
    assert len((tmp_path / "out.csv").read_text().splitlines()) == 1 + rows


def test_an_interview_step_does_not_import_pandas(tmp_path, small_model_dir):
    code, modules = imported(tmp_path, "next", '{"loc_eyelid": "yes"}', "--model", str(small_model_dir))
    assert code == 0
    assert loaded(modules, ("pandas",)) == []
