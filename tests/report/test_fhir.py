"""The FHIR R4 export: one Bundle per case that the R4B models of fhir.resources accept, with the codes it relies
on checked here (fhir.resources does not refuse an unknown code)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from fhir.resources.R4B.bundle import Bundle

from twitch_triage import contract
from twitch_triage.settings import Settings
from twitch_triage.report import fhir
from twitch_triage import triage
from twitch_triage.report.person import Person

WHEN = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone.utc)
VERSION = "trained 2026-11-30T10:00:00+00:00 from knowledge base 0123456789ab by twitch-triage 0.1.0"
LOINC = "http://loinc.org"
PERSON = Person(age=42, sex="female", medicines="ramipril 5 mg")

CASES = {
    "emergency": {"chest_pain": "yes", "loc_eyelid": "yes", "cramps": "no"},
    "urgent": {"loc_calves": "yes", "cramps": "yes", "calf_swelling": "yes", "weakness": "no"},
    "see_doctor": {"loc_eyelid": "yes", "loc_calves": "yes", "cramps": "yes", "weakness": "yes", "numbness": "no",
                   "fatigue": "unknown", "chest_pain": "no", contract.DAYS_ANSWER: 21},
    "self_care": {"loc_eyelid": "yes", "high_caffeine": "yes", "stress": "yes", "nausea": "no", "chest_pain": "no",
                  contract.DAYS_ANSWER: 3},
}


def bundle_of(case: dict, predictor, kb, person: Person = PERSON) -> tuple[triage.Assessment, dict]:
    assessment = triage.assess(case, predictor, kb, explain=False)
    return assessment, fhir.bundle(assessment, kb, model_version=VERSION, when=WHEN, asked=tuple(case), person=person)


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def the(bundle: dict, kind: str) -> dict:
    (found,) = resources(bundle, kind)
    return found


@pytest.fixture(params=list(CASES))
def level_case(request, predictor, kb):
    assessment, data = bundle_of(CASES[request.param], predictor, kb)
    assert assessment.disposition == request.param
    return request.param, assessment, data


def test_the_bundle_of_each_level_is_a_valid_r4_collection(level_case):
    _, _, data = level_case
    parsed = Bundle.model_validate(json.loads(fhir.dumps(data)))
    assert parsed.type == "collection" and len(parsed.entry) == len(data["entry"])
    urls = [e["fullUrl"] for e in data["entry"]]
    assert len(set(urls)) == len(urls) and all(u == f"urn:uuid:{e['resource']['id']}"
                                               for u, e in zip(urls, data["entry"]))


def test_every_reference_points_at_a_resource_of_the_bundle(level_case):
    _, _, data = level_case
    urls = {e["fullUrl"] for e in data["entry"]}
    found = []

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"reference"}:
                found.append(node["reference"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data["entry"])
    assert found and set(found) <= urls


def test_each_symptom_answered_yes_or_no_is_an_observation_coded_symptom_or_symptom_absent(level_case, kb):
    level, _, data = level_case
    case = CASES[level]
    observations = [o for o in resources(data, "Observation") if o["code"]["coding"][0]["code"] != "30525-0"]
    expected = {a: case[a] for a in kb.answer_ids  # in the knowledge base's order
                if a in case and kb.answer(a).role == "symptom" and case[a] in ("yes", "no")}
    assert len(observations) == len(expected)
    for observation, (answer, value) in zip(observations, expected.items()):
        (coding,) = observation["code"]["coding"]
        assert coding["system"] == LOINC
        assert (coding["code"], coding["display"]) == (("75325-1", "Symptom") if value == "yes"
                                                       else ("111551-8", "Symptom absent"))
        assert observation["note"][0]["text"] == kb.answer(answer).question
        assert observation["valueCodeableConcept"]["text"] and observation["status"] == "final"


def test_a_symptom_gets_its_snomed_code_where_the_codes_file_has_one_and_its_text_otherwise(predictor, kb):
    _, data = bundle_of(CASES["see_doctor"], predictor, kb)
    values = {o["note"][0]["text"]: o["valueCodeableConcept"] for o in resources(data, "Observation")
              if "note" in o}
    weakness = values[kb.answer("weakness").question]
    assert weakness["coding"] == [{"system": "http://snomed.info/sct", "code": "26544005",
                                   "display": "Muscle weakness"}]
    assert values[kb.answer("numbness").question]["coding"][0]["code"] == "44077006"
    cramps = values[kb.answer("cramps").question]
    assert "coding" not in cramps and cramps["text"] == "Cramps"


def test_the_codes_file_names_only_answers_that_are_symptoms_with_numeric_codes(kb):
    data = yaml.safe_load((Settings().data_dir / "fhir_codes.yaml").read_text(encoding="utf-8"))
    assert data["observation"]["present"] == {"system": LOINC, "code": "75325-1", "display": "Symptom"}
    assert data["observation"]["absent"] == {"system": LOINC, "code": "111551-8", "display": "Symptom absent"}
    for answer, code in data["symptoms"].items():
        assert kb.answer(answer).role == "symptom"
        assert str(code["code"]).isdigit() and 6 <= len(str(code["code"])) <= 18 and code["display"]


def test_the_risk_assessment_has_a_prediction_per_label_and_for_nothing_lacking(level_case, kb):
    _, assessment, data = level_case
    risk = the(data, "RiskAssessment")
    codes = [p["outcome"]["coding"][0] for p in risk["prediction"]]
    assert all(c["system"] == fhir.LABEL_SYSTEM for c in codes)
    assert sorted(c["code"] for c in codes) == sorted([*contract.LABELS, "nothing_lacking"])
    for prediction, code in zip(risk["prediction"], codes):
        p = prediction["probabilityDecimal"]
        assert 0 <= p <= 1
        expected = (assessment.p_nothing_lacking if code["code"] == "nothing_lacking"
                    else assessment.probabilities[code["code"]])
        assert p == round(expected, 4)
    assert risk["mitigation"] == f"{assessment.level.title}. {assessment.level.action}"
    assert f"Disposition: {assessment.disposition}." in risk["note"][0]["text"]
    for rule in assessment.red_flags:
        assert rule.reason in risk["note"][0]["text"]


def test_the_risk_assessment_is_performed_by_the_device_named_with_the_model_version(level_case):
    _, _, data = level_case
    device = the(data, "Device")
    risk = the(data, "RiskAssessment")
    assert risk["performer"] == {"reference": f"urn:uuid:{device['id']}"}
    assert device["deviceName"][0]["name"] == "twitch-triage"
    assert VERSION in [v["value"] for v in device["version"]]
    assert risk["subject"] == {"reference": f"urn:uuid:{the(data, 'Patient')['id']}"}


def test_the_response_answers_the_questionnaire_with_yes_no_and_dont_know(predictor, kb):
    case = CASES["see_doctor"]
    _, data = bundle_of(case, predictor, kb)
    questionnaire, response = the(data, "Questionnaire"), the(data, "QuestionnaireResponse")
    assert response["questionnaire"] == questionnaire["url"]
    assert [q["linkId"] for q in questionnaire["item"]] == list(kb.answer_ids)
    assert all(q["text"] == kb.answer(q["linkId"]).question for q in questionnaire["item"])
    given = {i["linkId"]: i["answer"][0] for i in response["item"]}
    assert set(given) == set(case)  # the questions not asked are left out
    assert given["cramps"]["valueCoding"]["code"] == "Y" and given["numbness"]["valueCoding"]["code"] == "N"
    assert given["fatigue"]["valueCoding"] == {"system": fhir.ABSENT_REASON, "code": "asked-unknown",
                                               "display": "Asked But Unknown"}
    assert given[contract.DAYS_ANSWER] == {"valueInteger": 21}
    assert {i["linkId"]: i["answer"][0]["valueCoding"]["system"] for i in response["item"]
            if i["linkId"] != contract.DAYS_ANSWER}["cramps"] == fhir.YES_NO


def test_the_person_s_details_are_the_patient_s_gender_an_age_observation_and_a_medication_statement(predictor,
                                                                                                    kb):
    _, data = bundle_of(CASES["self_care"], predictor, kb)
    assert the(data, "Patient")["gender"] == "female"
    age = next(o for o in resources(data, "Observation") if o["code"]["coding"][0]["code"] == "30525-0")
    assert age["code"]["coding"][0]["system"] == LOINC
    assert age["valueQuantity"] == {"value": 42, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}
    assert the(data, "MedicationStatement")["medicationCodeableConcept"] == {"text": "ramipril 5 mg"}
    _, blank = bundle_of(CASES["self_care"], predictor, kb, person=Person())
    assert "gender" not in the(blank, "Patient") and not resources(blank, "MedicationStatement")
    assert all(o["code"]["coding"][0]["code"] != "30525-0" for o in resources(blank, "Observation"))
    Bundle.model_validate(blank)


def test_the_same_case_gives_the_same_bundle_and_another_case_other_ids(predictor, kb):
    _, first = bundle_of(CASES["self_care"], predictor, kb)
    _, again = bundle_of(CASES["self_care"], predictor, kb)
    _, other = bundle_of(CASES["see_doctor"], predictor, kb)
    assert fhir.dumps(first) == fhir.dumps(again)
    assert first["id"] != other["id"]


def test_a_bundle_with_a_wrong_type_is_refused_by_the_r4b_models(predictor, kb):
    _, data = bundle_of(CASES["self_care"], predictor, kb)
    broken = json.loads(fhir.dumps(data))
    broken["entry"][-1]["resource"]["prediction"][0]["probabilityDecimal"] = "high"
    with pytest.raises(ValueError):
        Bundle.model_validate(broken)
