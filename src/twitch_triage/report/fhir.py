"""One case as an HL7 FHIR R4 ``Bundle`` (JSON-ready dicts), for clinics that take data in as FHIR.

The bundle is a ``collection``: a set of resources about one case for a program to file, not a ``document``
(which would need a ``Composition`` attested by an author, and the report is the person's own answers read by a
model, not a clinician's document). It holds, each with a ``urn:uuid`` full URL the others refer to:

- ``Patient``: anonymous, with the sex the person gave (``gender``), if any;
- ``Questionnaire`` (every question of the knowledge base; linkId = answer id) and the ``QuestionnaireResponse``
  that answers it (yes / no / "don't know" as codings, the days as an integer);
- an ``Observation`` per symptom answered yes or no, after the HL7 Symptoms implementation guide: code LOINC
  "Symptom" or "Symptom absent", the symptom as the value (a SNOMED CT concept where ``data/fhir_codes.yaml``
  has one, always with its text);
- an age ``Observation`` and a ``MedicationStatement`` when the person gave them;
- a ``Device`` (twitch-triage, with the model's version) and the ``RiskAssessment`` it performed: a
  prediction per cause and one for "nothing lacking", the advice as its ``mitigation``.

Identifiers are UUIDs derived from the case, the date and the model, so that the same case gives the same bundle.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import contract
from ..settings import Settings
from .. import __version__
from ..answers import format_value
from .case_report import NOTHING_LACKING, short_name
from ..knowledge import KnowledgeBase
from .person import Person
from ..triage import Assessment

__all__ = ["Codes", "SNOMED", "YES_NO", "ABSENT_REASON", "LABEL_SYSTEM", "load_codes", "bundle",
           "dumps"]

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
YES_NO = "http://terminology.hl7.org/CodeSystem/v2-0136"  # HL7 Yes/no Indicator: Y, N
ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"  # asked-unknown: "don't know"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LABEL_SYSTEM = "urn:twitch-triage:label"  # the contract's label ids (``magnesium``…, ``nothing_lacking``)
NOTHING = "nothing_lacking"
_NAMESPACE = uuid.UUID("6f1c4f55-5d0e-4a57-9a3e-2b7f6a4c9d10")  # of this program's resource ids
_ANSWER_OPTIONS = ({"system": YES_NO, "code": "Y", "display": "Yes"},
                   {"system": YES_NO, "code": "N", "display": "No"},
                   {"system": ABSENT_REASON, "code": "asked-unknown", "display": "Asked But Unknown"})
_GENDER = {"female": "female", "male": "male", "other": "other"}  # the person's words -> FHIR AdministrativeGender


@dataclass(frozen=True)
class Codes:
    """The codes of ``data/fhir_codes.yaml``: the Observation codes (``present``, ``absent``, ``age``: a coding
    each) and a SNOMED CT coding per answer that has one."""

    present: dict[str, str]
    absent: dict[str, str]
    age: dict[str, str]
    symptoms: dict[str, dict[str, str]]


def load_codes(path: str | Path | None = None) -> Codes:
    """The codes file (default ``data/fhir_codes.yaml``), read with the safe YAML loader."""
    path = Settings.from_environment().data_dir / "fhir_codes.yaml" if path is None else path
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    symptoms = {answer: {"system": SNOMED, "code": str(c["code"]), "display": c["display"]}
                for answer, c in data["symptoms"].items()}
    codes = data["observation"]
    return Codes(present=dict(codes["present"]), absent=dict(codes["absent"]), age=dict(data["age"]),
                 symptoms=symptoms)


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(map(str, parts))))


def _entry(resource: dict[str, Any], full_url: str) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource}


class _Builder:
    """The resources of one bundle, and the references between them."""

    def __init__(self, assessment: Assessment, kb: KnowledgeBase, codes: Codes, model_version: str,
                 when: _dt.datetime, asked: Collection[str] | None, person: Person):
        self.assessment, self.kb, self.codes, self.person = assessment, kb, codes, person
        self.model_version, self.asked = model_version, asked
        self.when = when.isoformat(timespec="seconds")
        case = json.dumps(sorted((k, repr(v)) for k, v in assessment.answers.items()))
        self.seed = (case, self.when, model_version, person)
        self.entries: list[dict[str, Any]] = []

    def add(self, kind: str, resource: dict[str, Any], *key: object) -> dict[str, str]:
        """Add ``resource`` (of type ``kind``) and return a reference to it."""
        rid = _uuid(kind, *key, *self.seed)
        self.entries.append(_entry({"resourceType": kind, "id": rid, **resource}, f"urn:uuid:{rid}"))
        return {"reference": f"urn:uuid:{rid}"}

    def answered(self, answer_id: str) -> bool:
        value = self.assessment.answers.get(answer_id, math.nan)
        return not math.isnan(value) or self.asked is None or answer_id in self.asked

    # ------------------------------------------------------------------ resources

    def patient(self) -> dict[str, str]:
        resource: dict[str, Any] = {"active": True}
        if self.person.sex:
            resource["gender"] = _GENDER[self.person.sex]
        return self.add("Patient", resource)

    def questionnaire(self) -> str:
        url = f"urn:uuid:{_uuid('Questionnaire', self.kb.sha256)}"
        items = [self._question(answer) for answer in self.kb.answers]
        self.add("Questionnaire", {"url": url, "name": "TwitchTriage", "title": "Muscle twitching: the questions",
                                   "status": "active", "item": items}, self.kb.sha256)
        return url

    def _question(self, answer) -> dict[str, Any]:
        if answer.id == contract.DAYS_ANSWER:
            return {"linkId": answer.id, "text": answer.question, "type": "integer"}
        return {"linkId": answer.id, "text": answer.question, "type": "choice",
                "answerOption": [{"valueCoding": dict(option)} for option in _ANSWER_OPTIONS]}

    def response(self, questionnaire: str, patient: dict[str, str]) -> dict[str, str]:
        items = [self._response_item(answer) for answer in self.kb.answers if self.answered(answer.id)]
        return self.add("QuestionnaireResponse", {"questionnaire": questionnaire, "status": "completed",
                                                  "subject": patient, "authored": self.when, "item": items})

    def _response_item(self, answer) -> dict[str, Any]:
        value = format_value(answer.id, self.assessment.answers.get(answer.id, math.nan))
        item: dict[str, Any] = {"linkId": answer.id, "text": answer.question}
        if answer.id == contract.DAYS_ANSWER:
            item["answer"] = [{"valueInteger": int(value)}] if value else [{"valueCoding": dict(_ANSWER_OPTIONS[2])}]
        else:
            item["answer"] = [{"valueCoding": dict(_ANSWER_OPTIONS[{"yes": 0, "no": 1}.get(value, 2)])}]
        return item

    def symptoms(self, patient: dict[str, str], response: dict[str, str]) -> list[dict[str, str]]:
        found = []
        for answer in self.kb.answers:
            value = format_value(answer.id, self.assessment.answers.get(answer.id, math.nan))
            if answer.role != "symptom" or value not in ("yes", "no"):
                continue
            name = short_name(self.kb, answer.id)
            concept: dict[str, Any] = {"text": name[:1].upper() + name[1:]}
            if answer.id in self.codes.symptoms:
                concept["coding"] = [dict(self.codes.symptoms[answer.id])]
            code = self.codes.present if value == "yes" else self.codes.absent
            found.append(self.add("Observation", {
                "status": "final", "category": [{"coding": [{"system": CATEGORY, "code": "survey"}]}],
                "code": {"coding": [dict(code)], "text": code["display"]}, "subject": patient,
                "effectiveDateTime": self.when, "performer": [patient], "valueCodeableConcept": concept,
                "derivedFrom": [response], "note": [{"text": answer.question}]}, answer.id))
        return found

    def details(self, patient: dict[str, str]) -> list[dict[str, str]]:
        found = []
        if self.person.age is not None:
            found.append(self.add("Observation", {
                "status": "final", "code": {"coding": [dict(self.codes.age)], "text": self.codes.age["display"]},
                "subject": patient, "effectiveDateTime": self.when, "performer": [patient],
                "valueQuantity": {"value": self.person.age, "unit": "years", "system": UCUM, "code": "a"}}, "age"))
        if self.person.medicines:
            found.append(self.add("MedicationStatement", {
                "status": "active", "medicationCodeableConcept": {"text": self.person.medicines},
                "subject": patient, "dateAsserted": self.when, "informationSource": patient,
                "note": [{"text": "Current medicines, in the person's own words."}]}, "medicines"))
        return found

    def device(self) -> dict[str, str]:
        return self.add("Device", {
            "status": "active", "manufacturer": "twitch-triage",
            "deviceName": [{"name": "twitch-triage", "type": "user-friendly-name"}],
            "version": [{"type": {"text": "model"}, "value": self.model_version},
                        {"type": {"text": "software"}, "value": __version__}],
            "note": [{"text": "Educational software: a model trained on synthetic cases, not validated on "
                              "patients."}]}, "device")

    def risk(self, patient: dict[str, str], device: dict[str, str], basis: list[dict[str, str]]) -> None:
        a, kb = self.assessment, self.kb
        predictions = [self._prediction(r.label, r.name, r.probability) for r in a.labels]
        if not math.isnan(a.p_nothing_lacking):
            predictions.append(self._prediction(NOTHING, NOTHING_LACKING, a.p_nothing_lacking))
        reasons = "; ".join(rule.reason for rule in a.red_flags) or "none"
        self.add("RiskAssessment", {
            "status": "final", "code": {"text": "Which nutrient may be lacking behind muscle twitching"},
            "subject": patient, "occurrenceDateTime": self.when, "performer": device, "basis": basis,
            "prediction": predictions, "mitigation": f"{a.level.title}. {a.level.action}",
            "note": [{"text": f"Disposition: {a.disposition}. Red flags: {reasons}."},
                     {"text": kb.disclaimer.text}]}, "risk")

    @staticmethod
    def _prediction(label: str, name: str, probability: float) -> dict[str, Any]:
        return {"outcome": {"coding": [{"system": LABEL_SYSTEM, "code": label, "display": name}],
                            "text": f"{name} lacking" if label != NOTHING else name},
                "probabilityDecimal": round(float(probability), 4)}


def bundle(assessment: Assessment, kb: KnowledgeBase, *, model_version: str, when: _dt.datetime,
           asked: Collection[str] | None = None, person: Person = Person(), codes: Codes | None = None
           ) -> dict[str, Any]:
    """The case as a FHIR R4 ``Bundle`` of type ``collection`` (a dict, ready for :func:`json.dumps`).

    Parameters
    ----------
    assessment : the case as :func:`twitch_triage.triage.assess` returns it.
    kb : the knowledge base it was assessed with.
    model_version : :attr:`twitch_triage.model.artifact.Predictor.version`, named by the ``Device``.
    when : when the case was assessed (a date gives midnight UTC; a naive datetime is taken as UTC).
    asked : the answers the person was asked, as for :func:`twitch_triage.report.case_report.build`; the response
        leaves out the questions not asked. None: every one was asked.
    person : the person's details; the sex is the ``Patient``'s gender, the age and medicines resources.
    codes : the codes (default: :func:`load_codes`).
    """
    if not isinstance(when, _dt.datetime):
        when = _dt.datetime(when.year, when.month, when.day)
    when = when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)
    b = _Builder(assessment, kb, codes or load_codes(), model_version, when, asked, person)
    patient = b.patient()
    response = b.response(b.questionnaire(), patient)
    basis = [response, *b.symptoms(patient, response), *b.details(patient)]
    b.risk(patient, b.device(), basis)
    return {"resourceType": "Bundle", "id": _uuid("Bundle", *b.seed), "type": "collection",
            "timestamp": b.when, "entry": b.entries}


def dumps(data: dict[str, Any]) -> str:
    """A bundle as indented JSON text (UTF-8 characters as they are)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
