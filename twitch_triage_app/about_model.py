"""Page "About the model": in plain words first, then its metrics and model card, then the knowledge base and its
sources."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from twitch_triage.model import artifact, manifest
from twitch_triage.knowledge import KnowledgeBase
from twitch_triage_app import shared

_SCORERS = {"model": "Model (this app)", "oracle": "Best possible (the generator's own answer)",
            "rules": "The articles' rules"}
# What each figure of the model card shows, for a person who cannot see it (its alt text).
FIGURE_ALT = {
    "reliability": "Reliability diagrams, one per nutrient: the share of made-up cases that truly lacked the "
                   "nutrient against the probability the model gave them. Points close to the diagonal mean a "
                   "stated probability can be taken at face value.",
    "roc": "ROC curves, one per nutrient: how many of the cases that truly lacked it are caught against how many "
           "false alarms, as the cut-off moves. A curve nearer the top left corner separates them better; the "
           "diagonal is chance.",
}
_METRICS = {"macro_auroc": "Macro AUROC ↑", "mean_log_loss": "Mean log-loss ↓", "macro_brier": "Macro Brier ↓",
            "max_ece": "Max ECE ↓"}
_HEADING = re.compile(r"^(#{1,4}) ", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def metrics_tables(metrics: dict) -> None:
    """Model vs oracle vs rules on the same held-out synthetic cases."""
    summary = pd.DataFrame(
        [{"Scorer": name, **{title: metrics[key][m] for m, title in _METRICS.items()}}
         for key, name in _SCORERS.items() if key in metrics]
    )
    st.dataframe(summary, hide_index=True,
                 column_config={title: st.column_config.NumberColumn(format="%.4f") for title in _METRICS.values()})
    st.caption(f"{metrics.get('n_cases', 0):,} made-up (synthetic) cases kept apart from training (random number "
               f"generator started from {metrics.get('seed', '?')}), some answers left unknown as people leave "
               "them. The best possible knows the exact rules the cases were made with: no model can do better on "
               "this data. The articles' "
               "rules are the articles' list of twitching patterns (\u201ceyelid twitching \u2192 magnesium\u201d "
               "and the rest) used to give probabilities.")
    per_label = pd.DataFrame(
        {name: {label: values["auroc"] for label, values in metrics[key]["per_label"].items()}
         for key, name in _SCORERS.items() if key in metrics}
    )
    if not per_label.empty:
        with st.expander("AUROC per nutrient"):
            st.dataframe(per_label.rename_axis("Nutrient"),
                         column_config={c: st.column_config.NumberColumn(format="%.3f") for c in per_label.columns})


def figure_alt(image: Path, caption: str = "") -> str:
    """The alt text of a figure: what it shows, in words."""
    return FIGURE_ALT.get(image.stem, caption or f"Figure: {image.stem.replace('_', ' ')}")


def model_card_markdown(path: Path) -> set[Path]:
    """The training report as written by `make train`, its figures shown where the text references them."""
    text = _HEADING.sub(r"##\1 ", path.read_text(encoding="utf-8"))  # the card's headings sit under this page's
    shown = set()
    position = 0
    for match in _IMAGE.finditer(text):
        if text[position:match.start()].strip():
            st.markdown(text[position:match.start()])
        image = (path.parent / match.group(2)).resolve()
        if image.is_file():
            st.image(str(image), caption=match.group(1) or None, alt=figure_alt(image, match.group(1)))
            shown.add(image)
        else:
            st.caption(f"(figure {match.group(2)} is missing: run `make train`)")
        position = match.end()
    if text[position:].strip():
        st.markdown(text[position:])
    return shown


def in_words(metrics: dict) -> str:
    """How well the model learned, in one plain paragraph, from its metrics beside the best possible and the
    articles' rules (on the same made-up cases)."""
    model, best, rules = (metrics.get(k, {}).get("macro_auroc") for k in ("model", "oracle", "rules"))
    if model is None:
        return "This model carries no evaluation."
    text = (f"Tested on {metrics.get('n_cases', 0):,} made-up cases it never saw, the model tells apart the cases "
            f"that lack a nutrient from those that do not {model:.0%} of the time (50% would be a coin toss)")
    if best is not None:
        text += (f"; the best any program could do on these cases, knowing exactly how they were made, is "
                 f"{best:.0%}")
    if rules is not None:
        text += f", and the articles' own list of patterns used as rules manages {rules:.0%}"
    return text + ". This says how well it learned the made-up cases, not how often it is right about real people."


def model_section(kb: KnowledgeBase) -> None:
    """How well the model learned the generator: in words first, then its metrics beside the best possible and the
    articles' rules, in a fold."""
    st.header("How well it learned", anchor=False)
    try:
        predictor = shared.load_predictor(kb)
    except artifact.ArtifactError as exc:
        st.error(f"The model cannot be used: {shared.verbatim(str(exc))}", icon=":material/error:")
        return
    if predictor.stale:
        st.warning(manifest.STALE_WARNING, icon=":material/update:")
    meta = predictor.metadata
    metrics = meta.get("metrics")
    if not metrics:
        st.info("This model carries no evaluation: run `make train`.")
    else:
        st.markdown(in_words(metrics))
        with st.expander("The numbers behind this (AUROC, log-loss, Brier score, ECE)", icon=":material/functions:"):
            st.caption("AUROC: how well the probabilities rank people who have a deficiency above those who do "
                       "not (1 is perfect, 0.5 is chance). Log-loss and Brier score: how far the probabilities are "
                       "from what happened (lower is better). ECE (expected calibration error): how far a stated "
                       "probability is from the share of times it comes true (lower is better).")
            metrics_tables(metrics)
            st.caption(f"Trained on {meta.get('train_n', 0):,} made-up cases on {meta.get('created', '?')} (the "
                       f"random number generator started from {meta.get('train_seed', '?')}, so that training "
                       f"can be repeated exactly); knowledge base fingerprint {meta.get('kb_sha256', '')[:12]}; "
                       f"scikit-learn {meta.get('versions', {}).get('scikit-learn', '?')}.")

    card = shared.models_dir() / "model_card.md"
    figures = shared.models_dir() / "figures"
    with st.expander("Model card", expanded=False, icon=":material/description:"):
        st.caption("Written by `make train` beside the model it describes.")
        shown = model_card_markdown(card) if card.is_file() else set()
        if not card.is_file():
            st.info("No model card beside this model: run `make train` to write it and its figures.")
        extra = sorted(p for p in figures.glob("*.png") if p.resolve() not in shown) if figures.is_dir() else []
        for image in extra:
            st.image(str(image), caption=image.stem.replace("_", " "), alt=figure_alt(image))


def plain_section(kb: KnowledgeBase) -> None:
    """What the model is, what it learned from and what it cannot do, in plain words: before any number."""
    names = ", ".join(label.name for label in kb.labels)
    st.header("In plain words", anchor=False)
    st.markdown(
        "- **What it is.** A small neural network that reads your answers and gives, for each of ten possible "
        f"causes ({shared.plain(names)}), the probability that it lies behind answers like yours. The advice "
        "(emergency, today, a visit, or self-care) comes from fixed warning-sign rules, listed below with their "
        "sources, whatever the network says.\n"
        "- **What it learned from.** Synthetic cases only: every case is generated from the knowledge base below, "
        "where each deficiency raises the chance of the signs its source sentence names. No "
        "patient data was used. The medical content comes from two popular web articles on muscle twitching and "
        "nutrient deficiencies; each link cites the sentence it comes from, and the few warning signs and tests "
        "the articles do not cover are marked as general clinical knowledge.\n"
        "- **The numbers are assumptions.** The articles give no frequencies: how strongly a sign points to a "
        "nutrient, and how common each deficiency is, are modelling assumptions on a fixed scale.\n"
        "- **What it cannot do.** It cannot diagnose, and it knows no cause beyond these ten. It has not been "
        "validated on patients: the numbers below say how well it learned the generator, not how often it is "
        "right about real people. Use it to prepare questions for a doctor, not to decide."
    )


def knowledge_section(kb: KnowledgeBase) -> None:
    st.header("The knowledge base and its sources", anchor=False)
    st.caption(f"Every rule and link below comes from the file {Path(kb.path).name} (its fingerprint: "
               f"{kb.sha256[:12]}); each one cites the sentence of the article it comes from. Edit the file and "
               "run `make train` to rebuild the model.")
    names = {label.id: label.name for label in kb.labels}
    questions = {a.id: a.question for a in kb.answers}
    levels = {level.id: level.title for level in kb.levels}

    st.subheader("Red-flag rules", anchor=False)
    st.markdown("Applied to every case whatever the model says; the most severe one that fires sets the advice. "
                "An unknown answer never fires a rule.")
    st.table(pd.DataFrame([{"Rule": r.reason, "Level": levels[r.level], "Source": r.source.cite()}
                           for r in kb.red_flags]), hide_index=True, border="horizontal")

    st.subheader("Signs of each deficiency", anchor=False)
    st.caption("Strength: the assumed chance of the sign in someone lacking this nutrient and nothing else.")
    st.table(pd.DataFrame([{"Nutrient": names[link.label], "Sign": questions[link.answer],
                            "Strength": f"{link.strength:.2f}", "Source": link.source.cite()} for link in kb.links]),
             hide_index=True, border="horizontal")

    with st.expander("Risk factors and lifestyle triggers"):
        rows = [{"Cause": questions.get(f.cause, names.get(f.cause, f.cause)), "Raises": names[f.label],
                 "Strength": f.strength, "Source": f.source.cite()} for f in kb.risk_factors]
        rows += [{"Cause": questions[t.cause], "Raises": questions[t.answer] + " (with nothing lacking)",
                  "Strength": t.strength, "Source": t.source.cite()} for t in kb.triggers]
        frame = pd.DataFrame(rows)
        frame["Strength"] = frame["Strength"].map("{:.2f}".format)
        st.table(frame, hide_index=True, border="horizontal")

    with st.expander("Tests and food sources per nutrient"):
        st.table(pd.DataFrame([{"Nutrient": label.name, "Role": label.role.text,
                                "Tests": "; ".join(t.text for t in label.tests), "Foods": label.foods.text,
                                "Foods source": label.foods.source.cite()} for label in kb.labels]),
                 hide_index=True, border="horizontal")

    if kb.assumptions:
        with st.expander("Modelling assumptions"):
            st.markdown("\n".join(f"- **{shared.plain(name)}**: {shared.plain(text)}" for name, text in kb.assumptions))


kb = shared.knowledge_base_or_stop()
st.title("About the model", anchor=False)
plain_section(kb)
model_section(kb)
knowledge_section(kb)
