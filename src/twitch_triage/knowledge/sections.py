"""One loader per section of the knowledge base, each checking its entries against what came before."""

from __future__ import annotations

from typing import Any, Iterator

from .. import contract
from .graph import label_order
from .reader import Reader
from .schema import (LEVEL_TEXTS, TEXTS, Answer, Cited, Duration, Group, Label, Level, Link, Missingness, Pattern,
                     RedFlagRule, RiskFactor, Trigger)

__all__ = ["sources", "strength_scale", "groups", "answers", "labels", "links", "risk_factors", "triggers", "levels",
           "red_flags", "patterns", "duration", "plan", "disclaimer", "missingness", "texts", "assumptions"]

_ROLES = ("symptom", "context", "days")
_ROLE_KEYS = {"symptom": ("leak", "inverse"), "context": ("prevalence",), "days": ()}
_CONDITION_KEYS = (("any_yes",), ("all_yes",), ("yes_count_at_least", "of"), ("above", "answer"),
                   ("probability_at_least", "labels"))  # the first key names the kind


def strength_scale(r: Reader) -> None:
    raw_scale = r.section("strength_scale", dict)
    for name in raw_scale:
        r.scale[name] = r.probability(raw_scale, name, f"strength_scale.{name}")


def groups(r: Reader) -> tuple[Group, ...]:
    groups = []
    for i, g in enumerate(r.section("groups")):
        gid = r.get(g, "id", f"groups[{i}]")
        where = f"group {gid}"
        r.entry(g, where, ("id", "title", "missing_rate"))
        groups.append(Group(gid, r.get(g, "title", where), r.probability(g, "missing_rate", where)))
    return tuple(groups)


def answers(r: Reader, groups: tuple[Group, ...]) -> tuple[Answer, ...]:
    group_rates = {g.id: g.missing_rate for g in groups}
    answers: list[Answer] = []
    for i, a in enumerate(r.section("answers")):
        aid = r.get(a, "id", f"answers[{i}]")
        where = f"answer {aid}"
        if aid in {x.id for x in answers}:
            raise r.fail(where, "duplicate id")
        group = r.known(r.get(a, "group", where), set(group_rates), where, "group")
        role = r.known(r.get(a, "role", where), _ROLES, where, "role")
        r.entry(a, where, ("id", "group", "role", "question", "help", "missing_rate", "source", *_ROLE_KEYS[role]))
        missing = r.probability(a, "missing_rate", where) if "missing_rate" in a else group_rates[group]
        inverse = r.flag(a, "inverse", where, False)
        answers.append(
            Answer(
                id=aid,
                group=group,
                role=role,
                question=r.get(a, "question", where).strip(),
                help=r.get(a, "help", where).strip(),
                missing_rate=missing,
                leak=r.probability(a, "leak", where) if role == "symptom" else 0.0,
                prevalence=r.probability(a, "prevalence", where) if role == "context" else 0.0,
                inverse=inverse,
                source=r.source(a, where) if "source" in a else None,
            )
        )
    answer_ids = {a.id for a in answers}
    missing_answers = [a for a in contract.ANSWERS if a not in answer_ids]
    if missing_answers:
        raise r.fail("answers", f"the contract's answer '{missing_answers[0]}' is missing")
    roles = {a.id: a.role for a in answers}
    if roles[contract.DAYS_ANSWER] != "days" or sum(role == "days" for role in roles.values()) != 1:
        raise r.fail("answers", f"exactly one answer, '{contract.DAYS_ANSWER}', has role 'days'")
    return tuple(answers)


def labels(r: Reader) -> tuple[Label, ...]:
    labels: list[Label] = []
    for i, entry in enumerate(r.section("labels")):
        lid = r.get(entry, "id", f"labels[{i}]")
        where = f"label {lid}"
        r.entry(entry, where, ("id", "name", "base_rate", "role", "role_source", "tests", "foods", "advice"))
        r.known(lid, set(contract.LABELS), where, "label (not in the contract)")
        tests = entry.get("tests")
        if not isinstance(tests, list) or not tests:
            raise r.fail(where, "missing 'tests' (a list of the tests to ask for)")
        labels.append(
            Label(
                id=lid,
                name=r.get(entry, "name", where),
                base_rate=r.probability(entry, "base_rate", where),
                role=Cited(r.get(entry, "role", where).strip(), r.source(entry, where, "role_source")),
                tests=tuple(r.cited(t, f"{where} tests[{j}]") for j, t in enumerate(tests)),
                foods=r.cited(r.get(entry, "foods", where, dict), f"{where} foods"),
                advice=r.cited(r.get(entry, "advice", where, dict), f"{where} advice"),
            )
        )
    by_id = {label.id: label for label in labels}
    if len(by_id) != len(labels):
        raise r.fail("labels", "duplicate label id")
    missing_labels = [lid for lid in contract.LABELS if lid not in by_id]
    if missing_labels:
        raise r.fail("labels", f"the contract's label '{missing_labels[0]}' is missing")
    return tuple(by_id[lid] for lid in contract.LABELS)  # contract order


def links(r: Reader, symptoms: set[str]) -> tuple[Link, ...]:
    links = []
    seen = set()
    for i, entry in enumerate(r.section("links")):
        where = f"links[{i}]"
        label = r.known(r.get(entry, "label", where), set(contract.LABELS), where, "label")
        answer = r.get(entry, "answer", where)
        where = f"links[{i}] ({label} -> {answer})"
        r.entry(entry, where, ("label", "answer", "strength", "source"))
        r.known(answer, symptoms, where, "symptom answer")
        if (label, answer) in seen:
            raise r.fail(where, "duplicate link")
        seen.add((label, answer))
        links.append(Link(label, answer, r.probability(entry, "strength", where, named=True), r.source(entry, where)))
    return tuple(links)


def _arrows(r: Reader, section: str, ends: tuple[str, str]) -> Iterator[tuple[dict[str, Any], str, str, str]]:
    """Each entry of a section of arrows from a cause (risk factors, triggers): the entry, where it is
    (``section[i] (cause -> end)``) and its two ends, its keys checked."""
    for i, entry in enumerate(r.section(section)):
        where = f"{section}[{i}]"
        cause, end = (r.get(entry, key, where) for key in ends)
        where = f"{section}[{i}] ({cause} -> {end})"
        r.entry(entry, where, (*ends, "strength", "source"))
        yield entry, where, cause, end


def risk_factors(r: Reader, contexts: set[str]) -> tuple[RiskFactor, ...]:
    factors = []
    for entry, where, cause, label in _arrows(r, "risk_factors", ("cause", "label")):
        r.known(cause, contexts | set(contract.LABELS), where, "cause (a context answer or a label)")
        r.known(label, set(contract.LABELS), where, "label")
        if cause == label:
            raise r.fail(where, "a label cannot raise itself")
        factors.append(RiskFactor(cause, label, r.probability(entry, "strength", where, named=True), r.source(entry, where)))
    try:
        label_order(contract.LABELS, factors)
    except ValueError as exc:
        raise r.fail("risk_factors", str(exc)) from None
    return tuple(factors)


def triggers(r: Reader, contexts: set[str], symptoms: set[str],
             risk_factors: tuple[RiskFactor, ...]) -> tuple[Trigger, ...]:
    found = []
    for entry, where, cause, answer in _arrows(r, "triggers", ("cause", "answer")):
        r.known(cause, contexts, where, "cause (a context answer)")
        r.known(answer, symptoms, where, "symptom answer")
        found.append(Trigger(cause, answer, r.probability(entry, "strength", where, named=True), r.source(entry, where)))
    both = {t.cause for t in found} & {f.cause for f in risk_factors}
    if both:
        raise r.fail(
            "triggers",
            f"context answer '{sorted(both)[0]}' both raises a deficiency and triggers a sign; "
            "the exact oracle needs the two sets apart (use one or the other)",
        )
    return tuple(found)


def levels(r: Reader) -> tuple[Level, ...]:
    levels = []
    for i, entry in enumerate(r.section("levels")):
        lid = r.get(entry, "id", f"levels[{i}]")
        where = f"level {lid}"
        r.entry(entry, where, ("id", "title", "action", "source", "safety_net", "if_unsure"))
        title, action = r.get(entry, "title", where).strip(), r.get(entry, "action", where).strip()
        r.check_placeholders(title, f"{where} title", frozenset(), frozenset())
        r.check_placeholders(action, f"{where} action", frozenset(), frozenset())
        texts = {key: r.cited(r.get(entry, key, where, dict), f"{where} {key}", *LEVEL_TEXTS[key])
                 for key in LEVEL_TEXTS}
        levels.append(Level(lid, title, action, r.source(entry, where), **texts))
    if tuple(level.id for level in levels) != contract.LEVELS:
        raise r.fail("levels", f"levels must be exactly {list(contract.LEVELS)}, most severe first")
    return tuple(levels)


def _condition(r: Reader, when: dict, where: str, answer_ids: set[str]
               ) -> tuple[str, tuple[str, ...], float, tuple[str, ...]]:
    """A red flag's ``when``: its kind, the answers it reads, its threshold and the labels it reads."""
    keys = next((keys for keys in _CONDITION_KEYS if keys[0] in when), None)
    if keys is None:
        raise r.fail(where, "'when' needs 'any_yes', 'all_yes', 'yes_count_at_least' + 'of', 'answer' + 'above', "
                            "or 'probability_at_least' + 'labels'")
    r.entry(when, f"{where} when", keys)
    if keys[0] == "probability_at_least":
        labels = r.id_list(when, "labels", set(contract.LABELS), where, "label")
        if not labels:
            raise r.fail(where, "names no label")
        return "probability_at_least", (), r.probability(when, "probability_at_least", where), labels
    if keys[0] in ("any_yes", "all_yes"):
        kind, ids, threshold = keys[0], r.id_list(when, keys[0], answer_ids, where, "answer"), 1.0
    elif keys[0] == "yes_count_at_least":
        kind, ids = "count_yes", r.id_list(when, "of", answer_ids, where, "answer")
        threshold = float(r.get(when, "yes_count_at_least", where, int))
    else:
        kind = "above"
        ids = (r.known(r.get(when, "answer", where), answer_ids, where, "answer"),)
        threshold = float(r.get(when, "above", where, (int, float)))
    if not ids:
        raise r.fail(where, "names no answer")
    return kind, ids, threshold, ()


def red_flags(r: Reader, answer_ids: set[str]) -> tuple[RedFlagRule, ...]:
    red_flags: list[RedFlagRule] = []
    for i, entry in enumerate(r.section("red_flags")):
        rid = r.get(entry, "id", f"red_flags[{i}]")
        where = f"red flag {rid}"
        r.entry(entry, where, ("id", "level", "reason", "when", "source", "call_ambulance", "about_nutrients"))
        if rid in {f.id for f in red_flags}:
            raise r.fail(where, "duplicate id")
        level = r.known(r.get(entry, "level", where), contract.LEVELS, where, "level")
        kind, ids, threshold, labels = _condition(r, r.get(entry, "when", where, dict), where, answer_ids)
        call_ambulance = r.flag(entry, "call_ambulance", where, False)
        if call_ambulance and level != contract.LEVELS[0]:
            raise r.fail(where, f"'call_ambulance' is for {contract.LEVELS[0]} rules only (this one is {level})")
        reason = r.get(entry, "reason", where)
        r.check_placeholders(reason, f"{where} reason", frozenset(), frozenset())
        red_flags.append(RedFlagRule(rid, level, reason, kind, ids, threshold, r.source(entry, where), labels,
                                     call_ambulance=call_ambulance,
                                     about_nutrients=r.flag(entry, "about_nutrients", where, True)))
    return tuple(red_flags)


def patterns(r: Reader, answer_ids: set[str]) -> tuple[Pattern, ...]:
    patterns = []
    for i, entry in enumerate(r.section("patterns")):
        where = f"patterns[{i}]"
        r.entry(entry, where, ("all_yes", "any_yes", "also_any_yes", "labels", "source"))
        pattern = Pattern(
            all_yes=r.id_list(entry, "all_yes", answer_ids, where, "answer"),
            any_yes=r.id_list(entry, "any_yes", answer_ids, where, "answer"),
            also_any_yes=r.id_list(entry, "also_any_yes", answer_ids, where, "answer"),
            labels=r.id_list(entry, "labels", set(contract.LABELS), where, "label"),
            source=r.source(entry, where),
        )
        if not pattern.labels or not (pattern.all_yes or pattern.any_yes):
            raise r.fail(where, "a pattern needs labels and at least one answer")
        patterns.append(pattern)
    return tuple(patterns)


def duration(r: Reader) -> Duration:
    d = r.section("duration", dict, ("answer", "mean_days_without_deficiency", "mean_days_with_deficiency", "source"))
    duration = Duration(
        answer=r.known(r.get(d, "answer", "duration"), {contract.DAYS_ANSWER}, "duration", "answer"),
        mean_days_without_deficiency=float(r.get(d, "mean_days_without_deficiency", "duration", (int, float))),
        mean_days_with_deficiency=float(r.get(d, "mean_days_with_deficiency", "duration", (int, float))),
        source=r.source(d, "duration"),
    )
    if min(duration.mean_days_without_deficiency, duration.mean_days_with_deficiency) <= 0:
        raise r.fail("duration", "mean days must be positive")
    return duration


def plan(r: Reader) -> tuple[str, tuple[Cited, ...], Cited]:
    plan = r.section("plan", dict, ("title", "steps", "note"))
    steps = plan.get("steps")
    if not isinstance(steps, list) or not steps:
        raise r.fail("plan", "missing 'steps'")
    return (r.get(plan, "title", "plan"), tuple(r.cited(s, f"plan.steps[{j}]") for j, s in enumerate(steps)),
            r.cited(r.get(plan, "note", "plan", dict), "plan.note"))


def missingness(r: Reader) -> Missingness:
    keys = ("sparse_share", "sparse_hidden_min", "sparse_hidden_max")
    raw = r.raw.get("missingness") or {}
    if not isinstance(raw, dict):
        raise r.fail("missingness", "'missingness' must be a mapping")
    r.entry(raw, "missingness", keys)
    missingness = Missingness(**{key: r.probability(raw, key, f"missingness.{key}") for key in keys if key in raw})
    if missingness.sparse_hidden_min > missingness.sparse_hidden_max:
        raise r.fail("missingness", "sparse_hidden_min is above sparse_hidden_max")
    return missingness


def texts(r: Reader) -> tuple[tuple[str, Cited], ...]:
    """The named texts people read beside the advice, each with the placeholders it may hold."""
    raw = r.section("texts", dict, tuple(TEXTS))
    missing = [name for name in TEXTS if name not in raw]
    if missing:
        raise r.fail("texts", f"missing text '{missing[0]}'")
    return tuple((name, r.cited(r.get(raw, name, f"texts.{name}", dict), f"texts.{name}", *TEXTS[name]))
                 for name in TEXTS)


def _pairs(r: Reader, name: str) -> tuple[tuple[str, str], ...]:
    """An optional section of names and texts (``sources``, ``assumptions``)."""
    raw = r.raw.get(name) or {}
    return tuple((str(k), str(v)) for k, v in r.entry(raw, name).items())


def sources(r: Reader) -> tuple[tuple[str, str], ...]:
    """The seed documents' article titles, by file name: each title verbatim in its document. Sources cite them."""
    sources = _pairs(r, "sources")
    for doc, title in sources:
        where = f"sources.{doc}"
        if not title.strip():
            raise r.fail(where, "the article's title is empty")
        r.verbatim(doc, title, where, "title")
    r.titles = {doc: title.strip() for doc, title in sources}
    return sources


def disclaimer(r: Reader) -> Cited:
    return r.cited(r.section("disclaimer", dict), "disclaimer")


def assumptions(r: Reader) -> tuple[tuple[str, str], ...]:
    """The model's assumptions, by name, in words."""
    return _pairs(r, "assumptions")
