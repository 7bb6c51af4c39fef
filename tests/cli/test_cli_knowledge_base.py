"""Every command that reads the knowledge base refuses a harmful one: exit 2, one line, no traceback."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from twitch_triage.settings import Settings

_LAUGHS = "".join(  # a "billion laughs": 9 levels of 9 aliases each, 9^9 strings once expanded
    [f"  l0: &l0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)]
)


def _limited() -> None:
    """In the child: at most 2 GB of memory, so that a loader that expands aliases fails instead of swapping."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twitch_triage", *args], capture_output=True, text=True,
                          timeout=120, preexec_fn=_limited)


@pytest.fixture()
def bad_kb(tmp_path):
    """A function that writes the knowledge base with one edit (beside a copy of the seeds) and returns its path."""
    shutil.copytree(Settings().seeds_dir, tmp_path / "seeds")
    text = Settings().kb_path.read_text(encoding="utf-8")

    def write(old: str, new: str) -> Path:
        assert text.count(old) == 1, old
        path = tmp_path / "knowledge_base.yaml"
        path.write_text(text.replace(old, new), encoding="utf-8")
        return path

    return write


def _line(part: str) -> int:
    """The line number (from 1) of ``part`` in the knowledge base, where it stands once."""
    text = Settings().kb_path.read_text(encoding="utf-8")
    assert text.count(part) == 1, part
    return text[: text.index(part)].count("\n") + 1


_EYELID_LEAK = "upper or lower eyelid.\n    leak: 0.10\n"
_EDITS = {
    "billion laughs": ("assumptions:\n", "assumptions:\n" + _LAUGHS,
                       f"line {_line('assumptions:') + 2}: alias *l0: aliases are not allowed"),
    "5,000-deep lists": ("assumptions:\n", "assumptions:\n  deep:\n    " + "- " * 5000 + "x\n",
                         "nested more than 20 deep"),
    "syntax error": ("  strong: 0.55\n", "  strong: [0.55\n",
                     f"line {_line('  strong: 0.55') + 1}, column 10: not valid YAML"),
    "key written twice": (_EYELID_LEAK, _EYELID_LEAK + "    leak: 0.5\n",
                          f"answer loc_eyelid: 'leak' is written twice (lines {_line(_EYELID_LEAK) + 1} and "
                          f"{_line(_EYELID_LEAK) + 2}): keep one"),
    "unknown key": ("answer: loc_eyelid, strength: strong,", "answer: loc_eyelid, strenght: strong,",
                    "links[0] (magnesium -> loc_eyelid): unknown key 'strenght' (did you mean 'strength'?)"),
}


@pytest.mark.parametrize("edit", list(_EDITS))
def test_schema_refuses_a_harmful_knowledge_base_with_exit_2_and_one_line(bad_kb, edit):
    old, new, message = _EDITS[edit]
    r = run("--kb", str(bad_kb(old, new)), "schema")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("twitch-triage schema: error: knowledge_base.yaml: ")
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr and r.stdout == ""


@pytest.mark.parametrize("command", [["train", "--n", "1000", "--quiet"], ["generate", "--n", "5", "-o", "-"]])
def test_train_and_generate_refuse_a_billion_laughs_at_once(bad_kb, tmp_path, command):
    old, new, _ = _EDITS["billion laughs"]
    r = run("--kb", str(bad_kb(old, new)), *command, *(["--model", str(tmp_path / "m"), "--reports",
                                                         str(tmp_path / "r")] if command[0] == "train" else []))
    assert r.returncode == 2, r.stderr
    assert "aliases are not allowed" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists()
