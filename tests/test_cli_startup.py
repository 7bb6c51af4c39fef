"""What a fresh ``twitch-triage`` process imports: each command loads only what it uses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from twitch_triage import config

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
_NOT_FOR_SCORING = ("sklearn", "scipy", "joblib", "matplotlib", "streamlit", "altair", "twitch_triage.generator",
                    "twitch_triage.training", "twitch_triage.report", "twitch_triage.evaluate",
                    "twitch_triage.model", "twitch_triage.pickled")


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


def scored(tmp_path, model_dir) -> set[str]:
    """The modules a `score` process of a one-row file imported (it succeeded)."""
    cases = tmp_path / "cases.csv"
    cases.write_text("case_id,loc_eyelid\n1,yes\n", encoding="utf-8")
    code, modules = imported(tmp_path, "score", str(cases), "-o", str(tmp_path / "out.csv"), "--quiet",
                             "--model", str(model_dir))
    assert code == 0
    return modules


def test_score_imports_neither_scikit_learn_nor_plotting_nor_the_app_nor_training_code(tmp_path, small_model_dir):
    assert loaded(scored(tmp_path, small_model_dir), _NOT_FOR_SCORING) == []
    assert (tmp_path / "out.csv").read_text().splitlines()[0].endswith(",".join(config.OUTPUT_COLUMNS))


@pytest.mark.xfail(strict=True, reason="pyarrow imports pandas, when it is installed, on its first conversion of a "
                   "list or numpy array (pa.array, or take() with numpy indices), which reading and writing case "
                   "files do; Arrow arrays built with from_buffers do not")
def test_score_does_not_import_pandas(tmp_path, small_model_dir):
    assert loaded(scored(tmp_path, small_model_dir), ("pandas",)) == []
