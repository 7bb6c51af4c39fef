"""The knowledge base covers the contract, cites its sources, and rejects bad entries."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from twitch_triage import contract
from twitch_triage.settings import EMERGENCY_NUMBER_ENV, Settings
from twitch_triage import knowledge
from twitch_triage.knowledge import KnowledgeBaseError


def test_every_contract_answer_and_label_is_in_the_knowledge_base(kb):
    assert set(contract.ANSWERS) <= set(kb.answer_ids)
    assert kb.label_ids == contract.LABELS
    assert tuple(level.id for level in kb.levels) == contract.LEVELS


def test_every_answer_has_a_question_group_and_help(kb):
    groups = {g.id for g in kb.groups}
    assert groups == {"where", "what_else", "when", "context", "warning"}
    for a in kb.answers:
        assert a.group in groups
        assert a.question.endswith("?"), a.id
        assert len(a.help) > 5, a.id


def test_the_warning_signs_come_first_and_are_every_answer_that_reaches_urgent_or_emergency_alone(kb):
    alone = {a for rule in kb.red_flags if rule.kind == "any_yes" and rule.level in ("emergency", "urgent")
             for a in rule.answers}
    assert kb.groups[0].id == "warning"
    assert {a.id for a in kb.answers if a.group == "warning"} == alone
    assert len(alone) == 12


BEYOND_THE_SEEDS = ("breathing_difficulty", "swallowing_or_speech_difficulty", "muscle_wasting", "chest_pain",
                    "fainting", "seizure", "confusion", "sudden_weakness", "dark_urine", "calf_swelling")


def test_every_question_beyond_the_seeds_says_so_and_its_own_rule_cites_clinical_knowledge(kb):
    for answer in BEYOND_THE_SEEDS:
        assert not kb.answer(answer).source.from_seeds, answer
    for answer in ("painful", "tetany"):  # the contract cites the seeds for these signs
        assert kb.answer(answer).source.from_seeds, answer
    for rule in kb.red_flags:
        if rule.kind == "any_yes" and set(rule.answers) <= set(BEYOND_THE_SEEDS):
            assert not rule.source.from_seeds, rule.id


def test_every_label_has_tests_foods_and_advice_with_sources(kb):
    for label in kb.labels:
        assert label.tests and label.foods.text and label.advice.text
        for cited in (*label.tests, label.foods, label.advice, label.role):
            assert cited.source.from_seeds or cited.source.justification


def _seed_text(doc: str) -> str:
    return re.sub(r"\s+", " ", (Settings().seeds_dir / doc).read_text(encoding="utf-8"))


def test_every_seed_quote_is_verbatim_in_its_seed(kb):
    sources = [x.source for x in (*kb.links, *kb.risk_factors, *kb.triggers, *kb.red_flags, *kb.patterns, *kb.levels,
                                  *(a for a in kb.answers if a.source is not None))]
    assert len(sources) > 120
    for source in sources:
        if source.from_seeds:
            assert re.sub(r"\s+", " ", source.quote) in _seed_text(source.doc), source.quote
        else:
            assert source.doc == "clinical" and source.justification


def test_the_contract_in_the_repository_is_the_reference_it_follows():
    shared = Settings().root.parent / "shared" / "contract.md"
    if not shared.is_file():
        pytest.skip("../shared/contract.md is not beside this checkout")
    assert (Settings().root / "docs" / "contract.md").read_bytes() == shared.read_bytes()


def test_the_seed_copies_match_the_shared_seeds():
    shared = Settings().root.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    for path in shared.glob("*.txt"):
        assert (Settings().seeds_dir / path.name).read_bytes() == path.read_bytes()


# The contract's rule table (version 3): rule id -> (level, kind, what it reads, threshold).
LOCATIONS = frozenset(a for a in contract.ANSWERS if a.startswith("loc_"))
BLOOD_TEST = frozenset(("magnesium", "calcium", "potassium", "sodium", "vitamin_d", "vitamin_b12", "vitamin_b6", "iron"))
CONTRACT_TABLE = {
    **{a: ("emergency", "any_yes", {a}, 1.0) for a in ("breathing_difficulty", "swallowing_or_speech_difficulty",
                                                      "chest_pain", "fainting", "seizure", "confusion", "sudden_weakness")},
    **{a: ("urgent", "any_yes", {a}, 1.0) for a in ("irregular_heartbeat", "tetany", "dark_urine", "calf_swelling")},
    "weakness_with_wasting": ("urgent", "all_yes", {"weakness", "muscle_wasting"}, 1.0),
    "progressive_weakness": ("urgent", "all_yes", {"weakness", "progressive"}, 1.0),
    "numbness_with_poor_coordination": ("urgent", "all_yes", {"numbness", "poor_coordination"}, 1.0),
    "weakness_worsening": ("urgent", "any_yes", {"weakness_worsening"}, 1.0),  # version 3
    **{a: ("see_doctor", "any_yes", {a}, 1.0) for a in ("weakness", "numbness", "poor_coordination", "progressive",
                                                       "muscle_wasting", "painful")},
    "long_duration": ("see_doctor", "above", {"duration_days"}, 14.0),
    "multiple_locations": ("see_doctor", "count_yes", set(LOCATIONS), 2.0),
    "widespread": ("see_doctor", "any_yes", {"loc_widespread"}, 1.0),
    "probable_deficiency": ("see_doctor", "probability_at_least", set(BLOOD_TEST), 0.5),
}


def test_the_knowledge_base_holds_exactly_the_contract_rule_table(kb):
    table = {rule.id: (rule.level, rule.kind, set(rule.answers or rule.labels), rule.threshold) for rule in kb.red_flags}
    assert table == CONTRACT_TABLE


def test_every_rule_cites_a_seed_sentence_or_clinical_knowledge_with_a_reason(kb):
    for rule in kb.red_flags:
        assert rule.source.quote if rule.source.from_seeds else len(rule.source.justification) > 30, rule.id
    assert kb.red_flags[-1].source.quote == "Blood tests can check for deficiencies"


def test_the_issue_risk_factors_are_present(kb):
    pairs = {(f.cause, f.label) for f in kb.risk_factors}
    for pair in [("digestive_issues", "magnesium"), ("digestive_issues", "vitamin_b12"),
                 ("low_sun_exposure", "vitamin_d"), ("heavy_sweating", "potassium"), ("heavy_sweating", "sodium"),
                 ("heavy_sweating", "dehydration"), ("high_water_intake", "sodium"),
                 ("low_protein_diet", "protein"), ("vitamin_d", "calcium")]:
        assert pair in pairs
    assert {t.cause for t in kb.triggers} == {"high_caffeine", "stress", "strenuous_exercise"}


def test_corticosteroids_raise_potassium_loss_instead_of_explaining_signs_away(kb):
    assert ("corticosteroids", "potassium") in {(f.cause, f.label) for f in kb.risk_factors}
    assert "corticosteroids" not in {t.cause for t in kb.triggers}


def test_dark_urine_is_a_warning_sign_not_a_hint_to_drink_more(kb):
    assert "dark urine" not in kb.answer("low_fluid_intake").help.lower()
    assert kb.answer("dark_urine").group == "warning"


def test_no_claim_of_the_labels_goes_beyond_its_quote(kb):
    assert "supplement" not in kb.label("magnesium").advice.text.lower()
    assert "replace fluids" not in kb.label("potassium").advice.text.lower()


def test_loading_twice_gives_equal_frozen_objects(kb):
    again = knowledge.load(Settings().kb_path)
    assert again == kb
    with pytest.raises(AttributeError):
        kb.labels[0].base_rate = 0.5  # type: ignore[misc]


# ---------------------------------------------------------------- bad entries


@pytest.fixture()
def kb_copy(tmp_path):
    """A writable copy of the knowledge base with its seeds; returns (raw dict, save function)."""
    shutil.copytree(Settings().seeds_dir, tmp_path / "seeds")
    raw = yaml.safe_load(Settings().kb_path.read_text(encoding="utf-8"))
    path = tmp_path / "kb.yaml"

    def save(data) -> Path:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    return raw, save


def test_a_copy_of_the_knowledge_base_loads(kb_copy, kb):
    raw, save = kb_copy
    assert knowledge.load(save(raw)).links == kb.links


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["links"][0].update(answer="loc_eyelidd"),
         r"links\[0\] \(magnesium -> loc_eyelidd\): unknown symptom answer 'loc_eyelidd'"),
        (lambda r: r["links"][0].update(label="zinc"), r"links\[0\]: unknown label 'zinc'"),
        (lambda r: r["links"][1].update(strength=1.5), r"links\[1\] \(magnesium -> cramps\): strength 1.5 is outside \(0, 1\)"),
        (lambda r: r["links"][1].update(strength=0), r"strength 0 is outside \(0, 1\)"),
        (lambda r: r["links"][1].update(strength="huge"), r"strength 'huge' is not one of"),
        (lambda r: r["links"][2].pop("source"), r"links\[2\] \(magnesium -> loc_calves\): missing 'source'"),
        (lambda r: r["links"][2]["source"].pop("quote"), r"links\[2\] .*has no 'quote'"),
        (lambda r: r["links"][2]["source"].update(quote="Calf cramps cure everything"), r"is not verbatim in 000_"),
        (lambda r: r["links"][2]["source"].update(doc="clinical", quote=None), r"needs a one-line 'justification'"),
        (lambda r: r["risk_factors"][0].update(cause="sunshine"), r"risk_factors\[0\] \(sunshine -> magnesium\): unknown cause"),
        (lambda r: r["risk_factors"].append({"cause": "calcium", "label": "vitamin_d", "strength": 0.1,
                                             "source": {"doc": "clinical", "justification": "test"}}),
         r"labels raise each other in a cycle"),
        (lambda r: r["triggers"][0].update(cause="digestive_issues"), r"both raises a deficiency and triggers a sign"),
        (lambda r: r["red_flags"][0].update(level="panic"), r"red flag breathing_difficulty: unknown level 'panic'"),
        (lambda r: r["red_flags"][0]["when"].update(any_yes=["breathless"]), r"red flag breathing_difficulty: unknown answer 'breathless'"),
        (lambda r: r["red_flags"][0].pop("source"), r"red flag breathing_difficulty: missing 'source'"),
        (lambda r: r["labels"][0].update(base_rate=-0.1), r"label magnesium: base_rate -0.1 is outside \(0, 1\)"),
        (lambda r: r["labels"].pop(), r"the contract's label 'dehydration' is missing"),
        (lambda r: r["answers"].pop(0), r"the contract's answer 'loc_eyelid' is missing"),
        (lambda r: r["answers"][0].update(group="elsewhere"), r"answer loc_eyelid: unknown group 'elsewhere'"),
        (lambda r: r["answers"][0].pop("leak"), r"answer loc_eyelid: missing 'leak'"),
        (lambda r: r.pop("red_flags"), r"missing section 'red_flags'"),
        (lambda r: r["answers"][0].update(leek=0.1), r"answer loc_eyelid: unknown key 'leek' \(did you mean 'leak'\?\)"),
        (lambda r: next(a for a in r["answers"] if a["role"] == "context").update(leak=0.1),
         r"answer high_caffeine: unknown key 'leak'"),
        (lambda r: r["links"][0].update(strenght=0.5),
         r"links\[0\] \(magnesium -> loc_eyelid\): unknown key 'strenght' \(did you mean 'strength'\?\)"),
        (lambda r: r["links"][0]["source"].update(qoute="x"),
         r"links\[0\] \(magnesium -> loc_eyelid\) source: unknown key 'qoute' \(did you mean 'quote'\?\)"),
        (lambda r: r["labels"][0]["tests"][0].update(note="x"), r"label magnesium tests\[0\]: unknown key 'note'"),
        (lambda r: r["red_flags"][0]["when"].update(above=3), r"red flag breathing_difficulty when: unknown key 'above'"),
        (lambda r: r.update(red_flag=[]), r"top level: unknown section 'red_flag' \(did you mean 'red_flags'\?\)"),
        (lambda r: r["red_flags"][0].update(when={"all_yes": ["weakness", "wasting"]}),
         r"red flag breathing_difficulty: unknown answer 'wasting'"),
        (lambda r: r["red_flags"][0].update(when={"all_yes": []}), r"red flag breathing_difficulty: names no answer"),
        (lambda r: r["red_flags"][0].update(when={"probability_at_least": 0.5, "labels": ["zinc"]}),
         r"red flag breathing_difficulty: unknown label 'zinc'"),
        (lambda r: r["red_flags"][0].update(when={"probability_at_least": 1.5, "labels": ["iron"]}),
         r"red flag breathing_difficulty: probability_at_least 1.5 is outside \(0, 1\)"),
        (lambda r: r["red_flags"][0].update(when={"probability_at_least": 0.5, "of": ["iron"]}),
         r"red flag breathing_difficulty when: unknown key 'of' \(known: probability_at_least, labels\)"),
        (lambda r: next(a for a in r["answers"] if a["id"] == "improves_with_rest").update(inverse="yes"),
         r"answer improves_with_rest: 'inverse' must be true or false"),
        (lambda r: next(a for a in r["answers"] if a["id"] == "tetany")["source"].update(quote="tetany is harmless"),
         r"answer tetany: quote 'tetany is harmless' is not verbatim in 001_"),
        (lambda r: r["texts"]["base_rate"].update(text="About {pct} lack it."),
         r"^kb.yaml: texts.base_rate: placeholder \{pct\} is not allowed here \(allowed: \{percent\}\)$"),
        (lambda r: r["texts"]["base_rate"].update(text="Many people lack it."),
         r"^kb.yaml: texts.base_rate: the text must hold the placeholder \{percent\}$"),
        (lambda r: r["texts"]["ambulance"].update(text="Call {emergency_number} about {percent}."),
         r"^kb.yaml: texts.ambulance: placeholder \{percent\} is not allowed here \(allowed: \{emergency_number\}\)$"),
        (lambda r: r["texts"]["unsure_sign"].update(text="Not sure: {sign}. {action} {0}"),
         r"^kb.yaml: texts.unsure_sign: '\{0\}' is not a placeholder"),
        (lambda r: r["texts"]["nutrients_only"].update(text="Figures {} only."),
         r"^kb.yaml: texts.nutrients_only: '\{\}' is not a placeholder"),
        (lambda r: r["texts"]["nutrients_only"].update(text="Figures {emergency_number:>9} only."),
         r"^kb.yaml: texts.nutrients_only: '\{emergency_number:>9\}' is not a placeholder"),
        (lambda r: r["texts"]["nutrients_only"].update(text="A lone { brace."),
         r"^kb.yaml: texts.nutrients_only: .*brace"),
        (lambda r: r["levels"][1]["safety_net"].update(text="Call {emergency_numbr} if worse."),
         r"^kb.yaml: level urgent safety_net: placeholder \{emergency_numbr\} is not allowed here"),
        (lambda r: r["levels"][1]["safety_net"].update(text="Call your doctor if worse."),
         r"^kb.yaml: level urgent safety_net: the text must hold the placeholder \{emergency_number\}$"),
        (lambda r: r["levels"][0].update(action="Call {emergency_number} now."),
         r"^kb.yaml: level emergency action: placeholder \{emergency_number\} is not allowed here \(allowed: none\)$"),
        (lambda r: r["labels"][0]["advice"].update(text="About {percent} lack it."),
         r"^kb.yaml: label magnesium advice: placeholder \{percent\} is not allowed here \(allowed: none\)$"),
        (lambda r: r["red_flags"][0].update(reason="Breathing {sign}"),
         r"^kb.yaml: red flag breathing_difficulty reason: placeholder \{sign\} is not allowed here"),
        (lambda r: r["texts"].update(ambulanse=r["texts"].pop("ambulance")),
         r"^kb.yaml: texts: unknown key 'ambulanse' \(did you mean 'ambulance'\?\)$"),
        (lambda r: r["texts"].pop("supplement_warning"), r"^kb.yaml: texts: missing text 'supplement_warning'$"),
        (lambda r: r.pop("texts"), r"^kb.yaml: texts: missing section 'texts'$"),
        (lambda r: r["texts"]["ambulance"].pop("source"), r"^kb.yaml: texts.ambulance: missing 'source'"),
        (lambda r: r["texts"]["ambulance"].update(note="x"), r"^kb.yaml: texts.ambulance: unknown key 'note'"),
        (lambda r: r["levels"][0].update(safty_net=r["levels"][0].pop("safety_net")),
         r"^kb.yaml: level emergency: unknown key 'safty_net' \(did you mean 'safety_net'\?\)$"),
        (lambda r: r["levels"][2].pop("if_unsure"), r"^kb.yaml: level see_doctor: missing 'if_unsure'$"),
        (lambda r: r["levels"][3]["if_unsure"]["source"].update(quote="See a doctor at once"),
         r"^kb.yaml: level self_care if_unsure: quote 'See a doctor at once' is not verbatim in 001_"),
        (lambda r: r["red_flags"][2].update(call_ambulance="yes"),
         r"^kb.yaml: red flag chest_pain: 'call_ambulance' must be true or false$"),
        (lambda r: r["red_flags"][2].update(call_ambulance=1),
         r"^kb.yaml: red flag chest_pain: 'call_ambulance' must be true or false$"),
        (lambda r: next(f for f in r["red_flags"] if f["id"] == "tetany").update(call_ambulance=True),
         r"^kb.yaml: red flag tetany: 'call_ambulance' is for emergency rules only \(this one is urgent\)$"),
        (lambda r: r["red_flags"][0].update(about_nutrients="no"),
         r"^kb.yaml: red flag breathing_difficulty: 'about_nutrients' must be true or false$"),
        (lambda r: r["red_flags"][0].update(call_ambulanse=True),
         r"^kb.yaml: red flag breathing_difficulty: unknown key 'call_ambulanse' \(did you mean 'call_ambulance'\?\)$"),
    ],
)
def test_loading_rejects_a_bad_entry_with_a_message_naming_it(kb_copy, mutate, message):
    raw, save = kb_copy
    mutate(raw)
    with pytest.raises(KnowledgeBaseError, match=message) as info:
        knowledge.load(save(raw))
    assert "\n" not in str(info.value)


def test_a_syntax_error_names_its_line_and_column(tmp_path):
    bad = tmp_path / "kb.yaml"
    bad.write_text("labels: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"^kb.yaml: line 2, column 1: not valid YAML: did not find expected "
                                                 r"',' or '\]' \(while parsing a flow sequence on line 1\)$"):
        knowledge.load(bad)


def test_a_file_that_is_not_utf8_names_its_line(kb_text):
    text, write = kb_text
    path = write(text)
    path.write_bytes(path.read_bytes().replace(b"version: 3", b"version: \xff3"))
    with pytest.raises(KnowledgeBaseError, match=rf"^kb.yaml: line {_line(text, 'version: 3')}: not valid UTF-8"):
        knowledge.load(path)


def test_loading_a_missing_file_says_so(tmp_path):
    with pytest.raises(KnowledgeBaseError, match=r"cannot read the knowledge base"):
        knowledge.load(tmp_path / "nope.yaml")


# ---------------------------------------------------------------- a file people edit: written as text


@pytest.fixture()
def kb_text(tmp_path):
    """The knowledge base's text, and a function that writes a text as a knowledge base beside the seeds."""
    shutil.copytree(Settings().seeds_dir, tmp_path / "seeds")
    path = tmp_path / "kb.yaml"

    def write(text: str) -> Path:
        path.write_text(text, encoding="utf-8")
        return path

    return Settings().kb_path.read_text(encoding="utf-8"), write


_EYELID_LEAK = "upper or lower eyelid.\n    leak: 0.10\n"


def _line(text: str, part: str) -> int:
    """The line number (from 1) of ``part``, which must be in ``text`` once."""
    assert text.count(part) == 1, part
    return text[: text.index(part)].count("\n") + 1


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_an_alias_is_refused_naming_its_line(kb_text):
    text, write = kb_text
    text = _edit(text, "assumptions:\n", "assumptions:\n  a: &note Some words.\n  b: *note\n")
    with pytest.raises(KnowledgeBaseError, match=rf"^kb.yaml: line {_line(text, '*note')}: alias \*note: aliases are "
                                                 "not allowed; write the value out in full$"):
        knowledge.load(write(text))


@pytest.mark.parametrize(
    ("nesting", "message"),
    [
        ("- " * 5000 + "x", r"lists and mappings nested more than 20 deep"),
        ("[" * 25 + "]" * 25, r"lists and mappings nested more than 20 deep"),
        ("[" * 5000 + "]" * 5000, r"not valid YAML: exceeded maximum nesting depth"),  # libyaml's own limit
    ],
)
def test_nesting_thousands_deep_is_refused_naming_its_line(kb_text, nesting, message):
    text, write = kb_text
    text = _edit(text, "assumptions:\n", f"assumptions:\n  deep:\n    {nesting}\n")
    with pytest.raises(KnowledgeBaseError, match=rf"^kb.yaml: line {_line(text, 'deep:') + 1}\b.*{message}$"):
        knowledge.load(write(text))


@pytest.mark.parametrize(
    ("old", "new", "where", "lines"),
    [
        (_EYELID_LEAK, _EYELID_LEAK + "    leak: 0.5\n", "answer loc_eyelid: 'leak'", (1, 2)),
        ("answer: loc_eyelid, strength: strong,", "answer: loc_eyelid, strength: strong, strength: weak,",
         r"links\[0\] \(magnesium -> loc_eyelid\): 'strength'", (0, 0)),
        ("quote: \"Eyelid twitching → magnesium deficiency\"}}\n  - {label: magnesium, answer: cramps",
         "quote: \"Eyelid twitching → magnesium deficiency\", quote: x}}\n  - {label: magnesium, answer: cramps",
         r"links\[0\] \(magnesium -> loc_eyelid\) source: 'quote'", (0, 0)),
        ("  strong: 0.55\n", "  strong: 0.55\n  strong: 0.9\n", "strength_scale: 'strong'", (0, 1)),
        ("version: 3\n", "version: 3\nversion: 4\n", "top level: 'version'", (0, 1)),
    ],
)
def test_a_key_written_twice_is_refused_naming_the_entry_and_its_lines(kb_text, old, new, where, lines):
    text, write = kb_text
    first, second = (_line(text, old) + offset for offset in lines)
    written = f"line {first}" if first == second else f"lines {first} and {second}"
    with pytest.raises(KnowledgeBaseError, match=rf"^kb.yaml: {where} is written twice \({written}\): keep one$"):
        knowledge.load(write(_edit(text, old, new)))


def _key_lines(*, skip_inside: tuple[str, ...] = ()) -> list:
    """One line for each place in the knowledge base where a line starts with a mapping key (block style):
    (index of the line, key) with the place as the test's id, e.g. ``answers[].leak``. Leaves out the keys
    of the mappings named in ``skip_inside``."""
    text = Settings().kb_path.read_text(encoding="utf-8")
    lines = text.splitlines()
    places: dict[str, tuple[int, str]] = {}

    def walk(node: yaml.Node, path: str, parent: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                place = f"{path}.{key.value}".lstrip(".")
                if parent not in skip_inside and lines[key.start_mark.line].lstrip().startswith(f"{key.value}:"):
                    places.setdefault(place, (key.start_mark.line, key.value))
                walk(value, place, key.value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, f"{path}[]", parent)

    walk(yaml.compose(text), "", "")
    return [pytest.param(*line, id=place) for place, line in places.items()]


@pytest.mark.parametrize(("index", "key"), _key_lines())
def test_any_key_written_twice_is_refused_naming_both_lines(kb_text, index, key):
    text, write = kb_text
    lines = text.splitlines(keepends=True)
    lines.insert(index + 1, lines[index])
    with pytest.raises(KnowledgeBaseError, match=rf"'{key}' is written twice \(lines {index + 1} and {index + 2}\)"):
        knowledge.load(write("".join(lines)))


@pytest.mark.parametrize(("index", "key"), _key_lines(skip_inside=("sources", "assumptions", "strength_scale")))
def test_any_misspelt_key_is_refused(kb_text, index, key):
    text, write = kb_text
    lines = text.splitlines(keepends=True)
    lines[index] = lines[index].replace(f"{key}:", f"{key}x:", 1)
    with pytest.raises(KnowledgeBaseError, match=rf"unknown (key|section) '{key}x'|missing '{key}'"):
        knowledge.load(write("".join(lines)))


def test_an_edited_knowledge_base_is_validated_again(kb_text):
    text, write = kb_text
    path = write(text)
    assert knowledge.load_default(path).answer("loc_eyelid").leak == 0.10
    stat = path.stat()
    write(_edit(text, _EYELID_LEAK, _EYELID_LEAK.replace("0.10", "1.10")))  # the same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time: only the content differs
    with pytest.raises(KnowledgeBaseError, match=r"answer loc_eyelid: leak 1.1 is outside \(0, 1\)"):
        knowledge.load_default(path)



def test_the_default_knowledge_base_is_loaded_once_until_its_cache_is_cleared(kb_text):
    text, write = kb_text
    path = write(text)
    first = knowledge.load_default(path)
    assert knowledge.load_default(path) is first
    knowledge.load_cached.cache_clear()
    again = knowledge.load_default(path)
    assert again is not first and again == first


def test_the_label_order_puts_every_label_after_the_labels_that_raise_it(kb):
    order = knowledge.label_order(kb.label_ids, kb.risk_factors)
    assert sorted(order) == sorted(kb.label_ids)
    between_labels = [f for f in kb.risk_factors if f.cause in kb.label_ids]
    assert between_labels
    for factor in between_labels:
        assert order.index(factor.cause) < order.index(factor.label)


def test_labels_that_raise_each_other_are_refused_with_the_cycle_named():
    source = knowledge.Source(doc="clinical", justification="test")
    factors = [knowledge.RiskFactor("calcium", "magnesium", 0.1, source),
               knowledge.RiskFactor("magnesium", "calcium", 0.1, source)]
    with pytest.raises(ValueError, match=r"labels raise each other in a cycle: magnesium -> calcium -> magnesium$"):
        knowledge.label_order(("magnesium", "calcium"), factors)


_TITLE_000 = '000_5913aa4160fac7cb.txt: "Muscle Twitching and Spasms: What Your Body Is Lacking"\n'


def test_a_seed_quote_is_cited_by_its_article_title_not_its_file_name(kb):
    titles = dict(kb.sources)
    for source in (*(link.source for link in kb.links), *(level.source for level in kb.levels)):
        if source.from_seeds:
            assert source.title == titles[source.doc]
            assert source.cite().endswith(f"({titles[source.doc]})")
            assert ".txt" not in source.cite()
    assert titles["000_5913aa4160fac7cb.txt"] == "Muscle Twitching and Spasms: What Your Body Is Lacking"


def test_every_article_title_is_verbatim_in_its_seed(kb):
    assert len(kb.sources) == len(list(Settings().seeds_dir.glob("*.txt")))
    for doc, title in kb.sources:
        assert title in _seed_text(doc)


def test_a_cited_seed_without_a_title_is_refused(kb_text):
    text, write = kb_text
    with pytest.raises(KnowledgeBaseError, match=r"seed document '000_5913aa4160fac7cb.txt' has no title: add it "
                                                 r"under 'sources'"):
        knowledge.load(write(_edit(text, "  " + _TITLE_000, "")))


def test_a_title_that_is_not_in_its_seed_is_refused(kb_text):
    text, write = kb_text
    with pytest.raises(KnowledgeBaseError, match=r"sources.000_5913aa4160fac7cb.txt: title 'Lacking Twitching' is "
                                                 r"not verbatim in 000_5913aa4160fac7cb.txt"):
        knowledge.load(write(_edit(text, _TITLE_000, '000_5913aa4160fac7cb.txt: "Lacking Twitching"\n')))


# ---------------------------------------------------------------- version 3: weakness_worsening


def test_weakness_worsening_is_a_warning_sign_from_its_seed_sentence_with_a_small_leak_and_an_urgent_rule(kb):
    answer = kb.answer("weakness_worsening")
    assert contract.ANSWERS[-1] == "weakness_worsening"
    assert (answer.group, answer.role) == ("warning", "symptom")
    assert answer.question == "Muscle weakness that gets worse from week to week?"
    assert answer.source.quote == "If twitching is progressive, painful, or associated with weakness"
    assert 0 < answer.leak <= 0.02
    rule = next(rule for rule in kb.red_flags if rule.id == "weakness_worsening")
    assert (rule.level, rule.kind, rule.answers) == ("urgent", "any_yes", ("weakness_worsening",))
    assert not rule.source.from_seeds and not rule.about_nutrients


def test_a_warning_sign_is_rare_whatever_its_cause(kb):
    warning = {a.id for a in kb.answers if a.group == "warning"}
    for link in kb.links:
        if link.answer in warning:
            assert link.strength <= 0.12, (link.label, link.answer)


def test_progressive_asks_about_the_twitching_itself_and_points_to_the_weakness_question(kb):
    progressive = kb.answer("progressive")
    assert "twitching itself" in progressive.question
    assert "weakness" in progressive.help.lower() and "separately" in progressive.help
    assert "twitching" in kb.answer("weakness_worsening").help.lower()  # and the other way round


# ---------------------------------------------------------------- version 3: levels, rules and texts


def test_every_level_has_a_safety_net_with_the_emergency_number_and_a_short_if_unsure_action(kb):
    for level in kb.levels:
        assert "{emergency_number}" in level.safety_net.text, level.id
        assert level.if_unsure.text and level.if_unsure.text[0].islower() and len(level.if_unsure.text) < 60
        assert "{" not in level.action and "{" not in level.title
    assert kb.level("emergency").if_unsure.text == "get emergency care now"
    assert kb.level("urgent").if_unsure.text == "see a doctor today"
    assert kb.level("see_doctor").safety_net.text.startswith("Get help sooner")
    for level in ("self_care", "see_doctor"):  # the emergency signs, named
        net = kb.level(level).safety_net.text
        assert "chest pain" in net and "see a doctor today" in net.lower(), level


def test_the_emergency_action_does_not_send_the_person_to_drive_themselves(kb):
    action = kb.level("emergency").action
    assert "or go to the nearest emergency department" not in action
    assert "do not drive yourself" in action.lower()


AMBULANCE = {"chest_pain", "sudden_weakness", "swallowing_or_speech_difficulty", "seizure", "breathing_difficulty",
             "confusion"}
NOT_ABOUT_NUTRIENTS = {"weakness_with_wasting", "progressive_weakness", "weakness_worsening",
                       "numbness_with_poor_coordination", "calf_swelling", "dark_urine"}


def test_the_rules_that_call_an_ambulance_and_those_not_about_nutrients(kb):
    assert {rule.id for rule in kb.red_flags if rule.call_ambulance} == AMBULANCE
    assert {rule.id for rule in kb.red_flags if not rule.about_nutrients} == NOT_ABOUT_NUTRIENTS
    assert all(rule.level == "emergency" for rule in kb.red_flags if rule.call_ambulance)


def test_every_named_text_is_there_with_its_source_and_fills_its_placeholders(kb, monkeypatch):
    monkeypatch.delenv(EMERGENCY_NUMBER_ENV, raising=False)
    assert tuple(name for name, _ in kb.texts) == tuple(knowledge.TEXTS)
    for _, cited in kb.texts:
        assert cited.source.quote if cited.source.from_seeds else cited.source.justification
    assert kb.text("ambulance") == "Call an ambulance on your local emergency number: do not drive yourself."
    assert kb.text("ambulance", emergency_number="112") == "Call an ambulance on 112: do not drive yourself."
    monkeypatch.setenv(EMERGENCY_NUMBER_ENV, "911")
    assert "on 911:" in kb.text("ambulance")
    assert "about 12% of people" in kb.text("base_rate", percent="12%")
    assert kb.text("unsure_sign", sign="Chest pain", action=kb.level("urgent").if_unsure.text) == (
        "You were not sure whether you have: Chest pain. If you do, see a doctor today.")
    assert "112" in kb.level("self_care").safety_net.fill(emergency_number="112")
    assert kb.cited_text("nothing_lacking").source.quote == (
        "Occasional twitching can be normal after exercise, stress, or caffeine intake.")
    assert "stress and excessive caffeine" in kb.cited_text("nothing_lacking_triggers").source.quote
    assert "two weeks" in kb.cited_text("see_doctor_anyway").source.quote


def test_filling_a_text_refuses_an_unknown_placeholder_or_a_missing_value(kb):
    with pytest.raises(ValueError, match=r"unknown placeholder 'number'"):
        kb.text("ambulance", number="112")
    with pytest.raises(ValueError, match=r"needs a value for 'percent'"):
        kb.text("base_rate")
    with pytest.raises(KeyError, match=r"unknown text 'ambulanse'"):
        kb.text("ambulanse")


def test_a_clinical_source_says_so_in_plain_words(kb):
    source = kb.level("emergency").source
    assert source.cite().startswith("General clinical knowledge (not in the two source articles): ")


def test_a_rule_without_the_new_flags_calls_no_ambulance_and_is_about_nutrients(kb_copy):
    raw, save = kb_copy
    for rule in raw["red_flags"]:
        rule.pop("call_ambulance", None)
        rule.pop("about_nutrients", None)
    loaded = knowledge.load(save(raw))
    assert not any(rule.call_ambulance for rule in loaded.red_flags)
    assert all(rule.about_nutrients for rule in loaded.red_flags)


# ---------------------------------------------------------------- plain words in every text a person reads


def _person_facing(kb) -> list[tuple[str, str]]:
    """(where, text) for every text the app, the report or the schema shows a person; quotes left out (they are
    the articles' own words)."""
    out: list[tuple[str, str]] = []

    def source(where: str, src) -> None:
        if src is not None and not src.from_seeds:
            out.append((f"{where} justification", src.justification))

    def cited(where: str, c) -> None:
        out.append((where, c.text))
        source(where, c.source)

    for g in kb.groups:
        out.append((f"group {g.id}", g.title))
    for a in kb.answers:
        out += [(f"answer {a.id} question", a.question), (f"answer {a.id} help", a.help)]
        source(f"answer {a.id}", a.source)
    for label in kb.labels:
        out.append((f"label {label.id} name", label.name))
        for j, c in enumerate((label.role, *label.tests, label.foods, label.advice)):
            cited(f"label {label.id} [{j}]", c)
    for x in (*kb.links, *kb.risk_factors, *kb.triggers, *kb.patterns):
        source(repr(x)[:60], x.source)
    for level in kb.levels:
        out += [(f"level {level.id} title", level.title), (f"level {level.id} action", level.action)]
        source(f"level {level.id}", level.source)
        cited(f"level {level.id} safety_net", level.safety_net)
        cited(f"level {level.id} if_unsure", level.if_unsure)
    for rule in kb.red_flags:
        out.append((f"red flag {rule.id} reason", rule.reason))
        source(f"red flag {rule.id}", rule.source)
    for name, c in kb.texts:
        cited(f"texts.{name}", c)
    out.append(("plan title", kb.plan_title))
    for j, c in enumerate((*kb.plan, kb.plan_note, kb.disclaimer)):
        cited(f"plan/disclaimer [{j}]", c)
    out += [(f"assumptions.{name}", text) for name, text in kb.assumptions]
    return out


def test_no_text_a_person_reads_calls_the_articles_seeds(kb):
    texts = _person_facing(kb)
    assert len(texts) > 250
    for where, text in texts:
        assert not re.search(r"\bseeds?\b", text.replace("nuts, seeds", "nuts"), re.IGNORECASE), (where, text)
    assert not any(".txt" in text for _, text in texts)


JARGON = ("tetany", "hypokalaemia", "hypokalemia", "hyponatraemia", "hyponatremia", "hypocalcaemia", "hypocalcemia",
          "rhabdomyolysis", "neuropathy", "thrombosis", "fasciculation")


def test_a_medical_word_comes_only_in_parentheses_after_what_it_means(kb):
    for where, text in _person_facing(kb):
        outside = re.sub(r"\([^()]*\)", "", text)
        for word in JARGON:
            assert word not in outside.lower(), (where, word, text)


def test_a_clinical_source_cites_in_plain_words(kb):
    cite = next(rule for rule in kb.red_flags if rule.id == "calf_swelling").source.cite()
    assert "seed" not in cite.lower() and "not in the two source articles" in cite


# ---------------------------------------------------------------- fidelity to the two articles


def _strength(kb, label: str, answer: str) -> float | None:
    return next((link.strength for link in kb.links if (link.label, link.answer) == (label, answer)), None)


def test_widespread_twitching_points_to_vitamin_d_and_every_electrolyte(kb):
    """000: "Diffuse twitching → vitamin D or electrolytes"; 001: "Electrolytes like sodium and potassium, along
    with magnesium and calcium". The line names magnesium and calcium only as a group: `weak` by the scale."""
    for label in ("magnesium", "calcium"):
        link = next(link for link in kb.links if (link.label, link.answer) == (label, "loc_widespread"))
        assert link.strength == 0.12 and link.source.quote == "Diffuse twitching → vitamin D or electrolytes"
    assert _strength(kb, "potassium", "loc_widespread") == 0.25  # 001's table: "Widespread, often with weakness."
    assert _strength(kb, "vitamin_d", "loc_widespread") == _strength(kb, "sodium", "loc_widespread") == 0.55


def test_the_warning_questions_ask_for_the_sign_not_its_everyday_look_alike(kb):
    heart = kb.answer("irregular_heartbeat")
    assert "racing" not in heart.question and "regular rhythm" in heart.help
    assert "stretch" in kb.answer("tetany").help and "calf cramp" in kb.answer("tetany").help
    assert "hot shower" in kb.answer("fainting").help and "not this" in kb.answer("fainting").help
    assert "pain" not in kb.answer("cramps").help.lower()


def test_digestive_problems_raise_the_minerals_too(kb):
    raised = {f.label for f in kb.risk_factors if f.cause == "digestive_issues"}
    assert {"magnesium", "vitamin_b12", "vitamin_b6", "calcium", "iron", "potassium", "sodium"} <= raised


def test_a_risk_factor_cited_to_a_sentence_names_what_it_raises_or_says_it_is_clinical(kb):
    sweat_sodium = next(f for f in kb.risk_factors if (f.cause, f.label) == ("heavy_sweating", "sodium"))
    assert not sweat_sodium.source.from_seeds


def test_protein_raises_electrolytes_modestly_and_dehydration_does_not(kb):
    """000: "Protein maintains muscle structure and electrolyte balance."; dehydration throws concentrations off
    balance without making the body lack them (the knowledge base says why), so it raises no deficiency."""
    by_label = {(f.cause, f.label): f for f in kb.risk_factors if f.cause in contract.LABELS}
    for label in ("magnesium", "calcium", "potassium"):
        factor = by_label["protein", label]
        assert factor.strength <= 0.1 and factor.source.quote == "Protein maintains muscle structure and electrolyte balance."
    assert not any(cause == "dehydration" for cause, _ in by_label)


def test_the_advice_says_no_more_than_its_quote(kb):
    assert "point to iron" not in kb.label("iron").advice.text
    assert "lost in sweat" not in kb.label("potassium").advice.text
    assert "together" not in kb.label("calcium").advice.text
