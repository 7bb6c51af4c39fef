"""twitch-triage: which nutrient may be behind persistent muscle twitching, and when to see a doctor.

The library's face: what a program needs to triage cases, without knowing which module does what::

    import twitch_triage as tt

    kb = tt.load_kb()                        # data/knowledge_base.yaml, validated
    model = tt.load_model(kb=kb)             # models/, checked against the knowledge base
    result = tt.assess({"loc_eyelid": "yes", "high_caffeine": "yes"}, model, kb)
    result.disposition, result.likely, result.p_nothing_lacking
    tt.interview_step({"loc_eyelid": "yes"}, kb=kb, model=model)["question"]
    tt.score_file("cases.csv", "scored.csv", model, kb)

Each function imports what it needs when called, so ``import twitch_triage`` stays light. The packages below
hold the rest: ``knowledge`` (the knowledge base), ``oracle`` (the generator and its exact posterior),
``model`` (training, the saved model), ``triage`` (red flags and outputs), ``interview``, ``report``
(the doctor's report, FHIR), ``scoring`` (case files), ``io`` and ``cli``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .settings import Settings

if TYPE_CHECKING:
    from .knowledge import KnowledgeBase
    from .model.artifact import Predictor
    from .scoring import ScoreSummary
    from .triage import Assessment

__version__ = "0.1.0"

__all__ = ["__version__", "Settings", "load_kb", "load_model", "assess", "interview_step", "score_file"]


def load_kb(path: str | Path | None = None, *, settings: Settings | None = None) -> KnowledgeBase:
    """The knowledge base at ``path`` (default: the settings' ``data/knowledge_base.yaml``), validated.

    Raises
    ------
    twitch_triage.knowledge.KnowledgeBaseError
        One line naming the entry that is wrong.
    """
    from . import knowledge

    return knowledge.load_default(path if path is not None else (settings or Settings.from_environment()).kb_path)


def load_model(folder: str | Path | None = None, *, kb: KnowledgeBase | None = None,
               settings: Settings | None = None) -> Predictor:
    """The saved model in ``folder`` (default: the settings' ``models/``), checked, and checked against ``kb``
    (default: :func:`load_kb`): the answers it reads and the labels it gives must be the knowledge base's.

    Raises
    ------
    twitch_triage.model.artifact.ArtifactError
        One line saying what is wrong with the model and how to rebuild it (``make train``).
    """
    from .model import artifact

    settings = settings or Settings.from_environment()
    kb = load_kb(settings=settings) if kb is None else kb
    return artifact.load(folder if folder is not None else settings.models_dir, kb=kb)


def assess(case: Mapping[str, Any], model: Any, kb: KnowledgeBase, *, explain: bool = True) -> Assessment:
    """One case triaged: probabilities, ``p_nothing_lacking``, likely labels, the disposition, the red flags that
    fired and, with ``explain``, which answers point where (see :func:`twitch_triage.triage.assess`)."""
    from . import triage

    return triage.assess(case, model, kb, explain=explain)


def interview_step(answers: Mapping[str, Any], *, kb: KnowledgeBase | None = None, model: Any = None,
                   for_report: bool = False) -> dict[str, Any]:
    """One interview step: the answers so far in, the next question and the triage out (see
    :func:`twitch_triage.interview.step`)."""
    from . import interview

    return interview.step(answers, kb=kb, model=model, for_report=for_report)


def score_file(source: Any, output: Any, model: Any, kb: KnowledgeBase, **options: Any) -> ScoreSummary:
    """Batch-score a case file into ``output``, streaming, with the contract's output columns (see
    :func:`twitch_triage.scoring.score_file` for ``strict``, ``progress`` and the rest)."""
    from . import scoring

    return scoring.score_file(source, output, model, kb, **options)
