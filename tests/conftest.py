"""Shared fixtures: the project's knowledge base, its compiled model, small samples."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from twitch_triage.settings import Settings
from twitch_triage import oracle
from twitch_triage import knowledge

settings.register_profile(
    "project", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("project")


@pytest.fixture(scope="session")
def kb() -> knowledge.KnowledgeBase:
    return knowledge.load(Settings().kb_path)


@pytest.fixture(scope="session")
def noisy_or(kb) -> oracle.NoisyOrModel:
    return oracle.compile_model(kb)


@pytest.fixture(scope="session")
def cases_20k(kb) -> oracle.Cases:
    return oracle.sample_cases(kb, 20_000, seed=11)


@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory, kb):
    """A smaller model trained once per test session (seconds; half the cases of `make train`): its folder."""
    from twitch_triage.model import training

    folder = tmp_path_factory.mktemp("models")
    training.train(kb, n=100_000, seed=3, eval_n=3_000, eval_seed=4, models_dir=folder, quiet=True, max_iter=25)
    return folder


@pytest.fixture(scope="session")
def predictor(small_model_dir, kb):
    from twitch_triage.model import artifact

    return artifact.load(small_model_dir, kb=kb)


@pytest.fixture
def fresh_cache():
    """st.cache_resource lives as long as the process: a test that uses it loads its own model."""
    import streamlit as st

    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


@pytest.fixture
def use_model(monkeypatch):
    """``use_model(folder)``: the app loads its model from ``folder``."""
    def use(folder) -> None:
        monkeypatch.setenv("TWITCH_TRIAGE_MODELS", str(folder))
    return use


@pytest.fixture
def app(fresh_cache, use_model, small_model_dir):
    """The app (``app.py``) run once under AppTest with the small model, on its first page."""
    from streamlit.testing.v1 import AppTest

    use_model(small_model_dir)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60).run()
    assert not at.exception
    return at


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """What each download button of the page would give (label -> its data, made on demand)."""
    from streamlit.elements.widgets.button import ButtonMixin

    given = {}
    original = ButtonMixin.download_button

    def recording(self, label, *args, **kwargs):
        given[label] = kwargs.get("data", args[0] if args else None)
        return original(self, label, *args, **kwargs)

    monkeypatch.setattr(ButtonMixin, "download_button", recording)
    return given


class Planted:
    """Unpickled, it calls ``how`` with ``args``: what a planted model file does."""

    def __init__(self, how, *args):
        self.how, self.args = how, args

    def __reduce__(self):
        return self.how, self.args


@pytest.fixture
def tamper():
    """``tamper(path)``: one byte in the middle of the file flipped, as a damaged or altered file has it."""
    def flip(path: Path) -> None:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))

    return flip


@pytest.fixture
def planted_model(small_model_dir, tmp_path):
    """``plant(payload)``: a copy of the small model whose pipeline is ``payload`` (or whose file is ``payload``,
    given as bytes), its checksum updated to match."""
    import joblib

    from twitch_triage.model.manifest import BUNDLE_NAME, MANIFEST_NAME

    def plant(payload):
        folder = tmp_path / "planted"
        shutil.copytree(small_model_dir, folder)
        if isinstance(payload, bytes):
            (folder / BUNDLE_NAME).write_bytes(payload)
        else:
            bundle = joblib.load(folder / BUNDLE_NAME)
            bundle["pipeline"] = payload
            joblib.dump(bundle, folder / BUNDLE_NAME, compress=3)
        manifest = json.loads((folder / MANIFEST_NAME).read_text())
        manifest["sha256"] = hashlib.sha256((folder / BUNDLE_NAME).read_bytes()).hexdigest()
        (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
        return folder

    plant.Planted = Planted
    return plant


@pytest.fixture
def model_copy(small_model_dir, tmp_path):
    """A copy of the small model's folder, to alter."""
    folder = tmp_path / "models"
    shutil.copytree(small_model_dir, folder)
    return folder


@pytest.fixture
def plant_arrays(small_model_dir, tmp_path):
    """``plant(**arrays)``: a copy of the small model whose ``model.npz`` has these arrays added or replaced
    (``None`` removes one), its checksum and member list updated to match."""
    import numpy as np

    from twitch_triage.model import npz
    from twitch_triage.model.manifest import ARRAYS_NAME, MANIFEST_NAME

    def plant(**changes):
        folder = tmp_path / "planted"
        shutil.copytree(small_model_dir, folder)
        path = folder / ARRAYS_NAME
        with np.load(path) as data:
            saved = {name: data[name] for name in data.files}
        saved.update(changes)
        np.savez(path, **{name: value for name, value in saved.items() if value is not None})
        manifest = json.loads((folder / MANIFEST_NAME).read_text())
        manifest["inference_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest["inference_members"] = npz.members(path)  # as one who alters the file recomputes it
        (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
        return folder

    return plant


@pytest.fixture(scope="session")
def with_tmpfs():
    """``with_tmpfs(folder, options)``: a command prefix that mounts a fresh tmpfs (``mount -o options``) at
    ``folder`` in a mount namespace of the command's own, so no one else sees it. Skips where this user may
    not make one (it needs CAP_SYS_ADMIN, e.g. root)."""
    script = 'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"'

    def prefix(folder, options: str) -> list[str]:
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", options, str(folder)]

    with tempfile.TemporaryDirectory() as probe:
        if not shutil.which("unshare") or subprocess.run(prefix(probe, "ro") + ["true"],
                                                         capture_output=True).returncode:
            pytest.skip("cannot mount a tmpfs in a mount namespace of its own here")
    return prefix
