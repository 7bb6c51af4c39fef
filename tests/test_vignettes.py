"""The vignettes written from the seeds: never under-triaged, and the first label the seeds point to."""

from __future__ import annotations

import re

import pytest

from twitch_triage import config, vignettes


@pytest.fixture(scope="module")
def cases(kb):
    return vignettes.load(kb)


@pytest.fixture(scope="module")
def results(cases, kb, predictor, noisy_or):
    return {"model": vignettes.run(cases, kb, predictor.predict_proba),
            "oracle": vignettes.run(cases, kb, noisy_or.posterior)}


def test_there_are_at_least_40_vignettes_at_every_level_each_citing_a_seed_sentence_verbatim(cases):
    assert len(cases) >= 40
    for level in config.LEVELS:
        assert sum(v.disposition == level for v in cases) >= 5, level
    for v in cases:
        seed = re.sub(r"\s+", " ", (config.SEEDS_DIR / v.doc).read_text(encoding="utf-8"))
        assert re.sub(r"\s+", " ", v.quote) in seed, v.id


def test_a_warning_sign_a_vignette_does_not_list_is_no_as_in_the_checklist(cases, kb):
    warning = [a.id for a in kb.answers if a.group == "warning"]
    eyelid = next(v for v in cases if v.id == "eyelid_alone")
    assert all(eyelid.answers[a] == "no" for a in warning)
    assert "stress" not in eyelid.answers  # everything else unlisted stays unknown


@pytest.mark.parametrize("scorer", ["model", "oracle"])
def test_no_vignette_is_under_triaged(results, scorer):
    assert [r.vignette.id for r in results[scorer] if r.under_triaged] == []


@pytest.mark.parametrize("scorer", ["model", "oracle"])
def test_nine_vignettes_in_ten_put_first_a_label_the_seeds_point_to(results, scorer):
    agree = sum(r.top_agrees for r in results[scorer])
    assert agree >= 0.9 * len(results[scorer]), [(r.vignette.id, r.top) for r in results[scorer] if not r.top_agrees]


def test_a_bad_vignette_is_refused_naming_it(kb, tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("vignettes:\n- {id: x, story: s, source: {doc: d, quote: q}, answers: {eyelid: yes},\n"
                    "   expect: {disposition: self_care, top: [magnesium]}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"vignettes\[0\] \(x\): unknown answer 'eyelid'"):
        vignettes.load(kb, path)


def test_the_results_table_names_every_vignette_and_marks_under_triage(results):
    lines = vignettes.markdown(results)
    assert lines[2].startswith("| model | ") and lines[3].startswith("| oracle | ")
    assert sum(line.startswith("| ") for line in lines) == 2 + 2 + 2 + len(results["model"])
