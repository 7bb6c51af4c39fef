"""The model's manifest: what it records, malformed manifests, and the fingerprint of what the model learned from
(a model is stale when the knowledge base's numbers changed, not its texts, nor the model code's bytes)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import twitch_triage
from twitch_triage import contract
from twitch_triage import oracle
from twitch_triage.settings import Settings
from twitch_triage.model import artifact, npz
from twitch_triage.model.artifact import ArtifactError
from twitch_triage.model.manifest import ARRAYS_NAME, MANIFEST_NAME, learned_from


def test_the_bundle_holds_everything_needed_to_rebuild_the_predictor(small_model_dir, kb):
    manifest = json.loads((small_model_dir / "manifest.json").read_text())
    for key in ("sha256", "inference_sha256", "labels", "answer_ids", "kb_sha256", "learned_from", "train_seed",
                "train_n", "versions", "metrics", "created"):
        assert key in manifest, key
    assert "thresholds" not in manifest
    assert manifest["labels"] == list(contract.LABELS)
    assert manifest["kb_sha256"] == kb.sha256 and manifest["learned_from"] == learned_from(kb)
    assert set(manifest["versions"]) >= {"python", "scikit-learn", "numpy"}
    assert set(manifest["metrics"]) == {"n_cases", "seed", "model", "oracle", "rules"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("versions", ["scikit-learn"]),
        ("versions", {"scikit-learn": 1.9}),
        ("sha256", 5),
        ("labels", "magnesium"),
        ("train_n", "many"),
        ("train_n", True),
        ("metrics", []),
        ("created", None),
    ],
    ids=lambda v: str(v),
)
def test_a_manifest_field_of_the_wrong_type_is_refused_in_one_line(model_copy, field, value):
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest[field] = value
    (model_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=rf"manifest .* '{field}' .*: run `make train`") as caught:
        artifact.load(model_copy)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("manifest", ["[]", "null", "\"text\"", "{}"])
def test_a_manifest_that_is_not_an_object_with_a_checksum_is_refused(model_copy, manifest):
    (model_copy / "manifest.json").write_text(manifest)
    with pytest.raises(ArtifactError, match=r"manifest .*run `make train`"):
        artifact.load(model_copy)


def test_the_manifest_lists_the_array_files_members_and_sizes(small_model_dir):
    manifest = json.loads((small_model_dir / MANIFEST_NAME).read_text())
    assert manifest["inference_members"] == npz.members(small_model_dir / ARRAYS_NAME)
    assert "coef_0.npy" in manifest["inference_members"]


def test_a_manifest_without_the_member_list_says_to_run_make_train(model_copy):
    manifest = json.loads((model_copy / MANIFEST_NAME).read_text())
    del manifest["inference_members"]
    (model_copy / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"does not list the arrays of model.npz .*: run `make train`"):
        artifact.load(model_copy)


# --------------------------------------------------------------------------- what the model learned from


def retexted(kb):
    """``kb`` with every text the generator does not read changed: questions, help, names, sources; and its hash."""
    source = dataclasses.replace(kb.links[0].source, doc="another.md")
    return dataclasses.replace(
        kb, sha256="0" * 64, path="elsewhere.yaml",
        answers=tuple(dataclasses.replace(a, question=f"{a.question} (edited)", help="", source=source)
                      for a in kb.answers),
        labels=tuple(dataclasses.replace(label, name=label.name.upper()) for label in kb.labels),
        links=tuple(dataclasses.replace(link, source=source) for link in kb.links),
        risk_factors=tuple(dataclasses.replace(f, source=source) for f in kb.risk_factors),
        triggers=tuple(dataclasses.replace(t, source=source) for t in kb.triggers),
        duration=dataclasses.replace(kb.duration, source=source),
        plan_title="Another plan")


def test_the_knowledge_bases_texts_are_not_part_of_what_the_model_learned_from(kb):
    assert learned_from(retexted(kb)) == learned_from(kb)
    assert len(learned_from(kb)) == 64 and int(learned_from(kb), 16) >= 0


def _first(items, **changes):
    return (dataclasses.replace(items[0], **changes), *items[1:])


@pytest.mark.parametrize("change", [
    lambda kb: {"labels": _first(kb.labels, base_rate=kb.labels[0].base_rate + 0.01)},
    lambda kb: {"answers": _first(kb.answers, prevalence=kb.answers[0].prevalence + 0.01)},
    lambda kb: {"answers": _first(kb.answers, leak=kb.answers[0].leak + 0.01)},
    lambda kb: {"answers": _first(kb.answers, missing_rate=kb.answers[0].missing_rate + 0.01)},
    lambda kb: {"answers": _first(kb.answers, inverse=not kb.answers[0].inverse)},
    lambda kb: {"answers": _first(kb.answers, role="context" if kb.answers[0].role != "context" else "symptom")},
    lambda kb: {"answers": (kb.answers[1], kb.answers[0], *kb.answers[2:])},
    lambda kb: {"labels": (kb.labels[1], kb.labels[0], *kb.labels[2:])},
    lambda kb: {"links": _first(kb.links, strength=kb.links[0].strength / 2)},
    lambda kb: {"links": kb.links[1:]},
    lambda kb: {"risk_factors": _first(kb.risk_factors, strength=kb.risk_factors[0].strength / 2)},
    lambda kb: {"triggers": _first(kb.triggers, strength=kb.triggers[0].strength / 2)},
    lambda kb: {"duration": dataclasses.replace(kb.duration, mean_days_with_deficiency=99.0)},
    lambda kb: {"duration": dataclasses.replace(kb.duration, mean_days_without_deficiency=99.0)},
    lambda kb: {"missingness": dataclasses.replace(kb.missingness, sparse_share=0.5)},
    lambda kb: {"missingness": dataclasses.replace(kb.missingness, sparse_hidden_min=0.01)},
    lambda kb: {"missingness": dataclasses.replace(kb.missingness, sparse_hidden_max=0.99)},
], ids=["base rate", "prevalence", "leak", "missing rate", "inverse", "role", "answer order", "label order",
        "link strength", "a link fewer", "risk factor", "trigger", "days with", "days without", "sparse share",
        "sparse min", "sparse max"])
def test_each_number_the_generator_reads_is_part_of_what_the_model_learned_from(kb, change):
    assert learned_from(dataclasses.replace(kb, **change(kb))) != learned_from(kb)


class _Recording:
    """A knowledge base (or one of its entries) that records the attributes read from it, as ``kb.answers[].leak``."""

    def __init__(self, value, path: str, read: set[str]):
        self._value, self._path, self._read = value, path, read

    def __getattr__(self, name: str):
        path = f"{self._path}.{name}"
        self._read.add(path)
        value = getattr(self._value, name)
        if dataclasses.is_dataclass(value):
            return _Recording(value, path, self._read)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            return tuple(_Recording(item, f"{path}[]", self._read) for item in value)
        return value


def test_what_the_model_learned_from_covers_everything_the_generator_reads_of_the_knowledge_base(kb):
    by_generator, by_fingerprint = set(), set()
    oracle.NoisyOrModel(_Recording(kb, "kb", by_generator))
    learned_from(_Recording(kb, "kb", by_fingerprint))
    assert "kb.links[].strength" in by_generator  # the recording sees through tuples of entries
    assert by_generator - by_fingerprint - {"kb.sha256"} == set()


def test_a_model_is_stale_only_when_the_numbers_it_learned_from_changed(small_model_dir, kb):
    assert artifact.load(small_model_dir, kb=kb).stale is False
    assert artifact.load(small_model_dir, kb=retexted(kb)).stale is False
    other = dataclasses.replace(kb, labels=_first(kb.labels, base_rate=kb.labels[0].base_rate + 0.01))
    assert artifact.load(small_model_dir, kb=other).stale is True
    assert artifact.load(small_model_dir).stale is False  # without a knowledge base, nothing to compare


def test_a_model_from_before_the_manifest_recorded_what_it_learned_from_is_stale(model_copy, kb):
    manifest = json.loads((model_copy / MANIFEST_NAME).read_text())
    del manifest["learned_from"]
    (model_copy / MANIFEST_NAME).write_text(json.dumps(manifest))
    assert artifact.load(model_copy, kb=kb).stale is True


def test_editing_a_comment_in_the_model_code_leaves_the_saved_model_loadable_and_fresh(small_model_dir, tmp_path):
    """The package copied, a comment added to the modules that define the saved files: the model still loads."""
    package = Path(twitch_triage.__file__).parent
    copy = tmp_path / "src" / "twitch_triage"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("estimators.py", "inference.py"):
        with (copy / "model" / name).open("a", encoding="utf-8") as handle:
            handle.write("# a comment added after training\n")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import twitch_triage; "
            "from twitch_triage import knowledge; from twitch_triage.model import artifact; "
            "assert twitch_triage.__file__.startswith(sys.argv[1]), twitch_triage.__file__; "
            "p = artifact.load(sys.argv[2], kb=knowledge.load(sys.argv[3]), pipeline=True); print(p.stale)")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "src"), str(small_model_dir), str(Settings().kb_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
