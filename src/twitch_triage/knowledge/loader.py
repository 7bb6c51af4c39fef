"""Load a knowledge base file: read it safely, check every section, and keep the project's one loaded.

:func:`load_default` keeps what it loaded in :func:`load_cached` (an ``lru_cache`` keyed by the path and
the hash of the file's content): the app, the interview and scoring ask for the knowledge base at every
step, and reading and validating the file takes about 25 ms where hashing it takes well under one. A
changed file has another hash, so it is loaded again; ``load_cached.cache_clear()`` empties the cache.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from ..settings import Settings
from . import sections
from .reader import Reader, unknown
from .safe_yaml import read_yaml
from .schema import KnowledgeBase, KnowledgeBaseError

__all__ = ["load", "load_cached", "load_default"]

_SECTIONS = (
    "version", "sources", "assumptions", "missingness", "strength_scale", "duration", "groups", "answers",
    "labels", "links", "risk_factors", "triggers", "levels", "red_flags", "patterns", "plan", "disclaimer", "texts",
)


def _parse(r: Reader, sha256: str) -> KnowledgeBase:
    """The sections in the order of the file, each checked by its own function."""
    r.entry(r.raw, "top level")
    unknown_names = [name for name in r.raw if name not in _SECTIONS]
    if unknown_names:
        raise r.fail("top level", unknown(unknown_names[0], _SECTIONS, "section"))
    sources = sections.sources(r)
    sections.strength_scale(r)
    groups = sections.groups(r)
    answers = sections.answers(r, groups)
    answer_ids = {a.id for a in answers}
    symptoms = {a.id for a in answers if a.role == "symptom"}
    contexts = {a.id for a in answers if a.role == "context"}
    labels = sections.labels(r)
    links = sections.links(r, symptoms)
    risk_factors = sections.risk_factors(r, contexts)
    triggers = sections.triggers(r, contexts, symptoms, risk_factors)
    levels = sections.levels(r)
    red_flags = sections.red_flags(r, answer_ids)
    patterns = sections.patterns(r, answer_ids)
    duration = sections.duration(r)
    plan_title, plan, plan_note = sections.plan(r)
    disclaimer = sections.disclaimer(r)
    texts = sections.texts(r)
    return KnowledgeBase(
        path=str(r.path),
        sha256=sha256,
        groups=groups,
        answers=answers,
        labels=labels,
        links=links,
        risk_factors=risk_factors,
        triggers=triggers,
        levels=levels,
        red_flags=red_flags,
        patterns=patterns,
        duration=duration,
        plan_title=plan_title,
        plan=plan,
        plan_note=plan_note,
        disclaimer=disclaimer,
        missingness=sections.missingness(r),
        sources=sources,
        assumptions=sections.assumptions(r),
        texts=texts,
    )


def load(path: str | Path, seeds_dir: str | Path | None = None) -> KnowledgeBase:
    """Read and validate a knowledge base file.

    The file is edited by people, so it is read defensively: YAML aliases, lists and
    mappings nested more than 20 deep, a key written twice in one mapping and a key the
    entry does not have are refused.

    Parameters
    ----------
    path : path of the YAML file.
    seeds_dir : folder of the seed documents; when given (or found as
        ``seeds/`` beside the file), every quote must be verbatim in its seed.

    Raises
    ------
    KnowledgeBaseError
        One line naming the bad entry (or the line, for what YAML cannot read) and what is wrong with it.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot read the knowledge base {path}: {exc.strerror}") from None
    raw = read_yaml(path, data)
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(f"{path.name}: the file must be a mapping of sections")
    seeds = Path(seeds_dir) if seeds_dir is not None else path.parent / "seeds"
    return _parse(Reader(path, raw, seeds), hashlib.sha256(data).hexdigest())


@lru_cache(maxsize=4)
def load_cached(path: str, sha256: str) -> KnowledgeBase:
    """``load(path)``, kept for the last 4 (path, SHA-256 of the file's content) pairs asked for: the
    hash is part of the key so that a changed file is loaded again. ``load_cached.cache_clear()`` empties it."""
    return load(path)


def load_default(path: str | Path | None = None) -> KnowledgeBase:
    """The project's knowledge base (``path``, else ``Settings.kb_path``), validated again whenever the file's
    content changes; kept in :func:`load_cached`."""
    p = Path(path) if path is not None else Settings.from_environment().kb_path
    try:
        sha256 = hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        sha256 = ""  # load() says why the file cannot be read
    return load_cached(str(p), sha256)
