"""The model card: model_card.md and its figures, written by `make train` beside the model they describe."""

from __future__ import annotations

from pathlib import Path

from . import manifest
from .. import contract
from .evaluation import reliability
from ..knowledge import KnowledgeBase

__all__ = ["write_model_card", "metrics_table", "target_rows", "nothing_lacking_rows", "verdict", "TARGETS"]

# The project's targets for the model, judged against the oracle on held-out cases.
TARGETS = {"auroc_gap": 0.005, "log_loss_excess": 0.03, "max_ece": 0.02}


def _figures(result, folder: Path) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    folder.mkdir(parents=True, exist_ok=True)
    Y = result.eval_cases.Y
    probs = result.eval_probabilities
    labels = contract.LABELS
    colours = {"model": "#1f77b4", "oracle": "#2ca02c", "rules": "#ff7f0e"}

    def grid(path: Path, names: tuple[str, ...], curve, legend: str, xlabel: str, ylabel: str, title: str) -> str:
        """One panel per label: the diagonal, then ``curve(y, p) -> (x, y, style)`` for each scorer."""
        fig, axes = plt.subplots(2, 5, figsize=(17, 7), sharex=True, sharey=True)
        for j, (ax, label) in enumerate(zip(axes.flat, labels)):
            ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
            for name in names:
                xs, ys, style = curve(Y[:, j], probs[name][:, j])
                ax.plot(xs, ys, color=colours[name], label=name, **style)
            ax.set_title(label)
        axes[0, 0].legend(loc=legend)
        fig.supxlabel(xlabel)
        fig.supylabel(ylabel)
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
        return path.name

    def reliability_curve(y, p):
        mean_p, freq, _ = reliability(y, p)
        return mean_p, freq, {"marker": "o", "ms": 3, "lw": 1}

    def roc(y, p):
        fpr, tpr, _ = roc_curve(y, p)
        return fpr, tpr, {"lw": 1.2}

    reliability_png = grid(folder / "reliability.png", ("model", "oracle"), reliability_curve, "upper left",
                           "predicted probability", "observed frequency",
                           "Reliability on held-out cases (15 equal-width bins)")
    roc_png = grid(folder / "roc.png", ("oracle", "model", "rules"), roc, "lower right", "false positive rate",
                   "true positive rate", "ROC curves: model against the oracle (best possible) and the articles' rules")
    return reliability_png, roc_png


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def metrics_table(evaluation: dict) -> list[str]:
    """Markdown rows: model, oracle and rules side by side, with how right their ``likely`` lists are."""
    rows = ["| scorer | macro AUROC | mean log-loss | macro Brier | max ECE | likely: precision | recall | "
            "labels per case |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in ("model", "oracle", "rules"):
        b = evaluation[name]
        likely = b.get("likely", {})
        rows.append(f"| {name} | {b['macro_auroc']:.4f} | {b['mean_log_loss']:.4f} | {b['macro_brier']:.4f} | "
                    f"{b['max_ece']:.4f} | {_share(likely.get('precision'))} | {_share(likely.get('recall'))} | "
                    f"{_share(likely.get('mean_count'))} |")
    return rows


def target_rows(evaluation: dict) -> list[str]:
    """Markdown rows: each accuracy target, what was measured, met or not."""
    m, o, r = evaluation["model"], evaluation["oracle"], evaluation["rules"]
    gap = o["macro_auroc"] - m["macro_auroc"]
    excess = m["mean_log_loss"] / o["mean_log_loss"] - 1
    worse = [lab for lab in contract.LABELS
             if not (m["per_label"][lab]["log_loss"] < r["per_label"][lab]["log_loss"]
                     and m["per_label"][lab]["auroc"] > r["per_label"][lab]["auroc"])]
    return [
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| macro AUROC within {TARGETS['auroc_gap']} of the oracle | {gap:.4f} below | {verdict(gap <= TARGETS['auroc_gap'])} |",
        f"| mean log-loss within {TARGETS['log_loss_excess']:.0%} of the oracle | {excess:+.2%} | "
        f"{verdict(excess <= TARGETS['log_loss_excess'])} |",
        f"| max per-label ECE at most {TARGETS['max_ece']} | {m['max_ece']:.4f} | {verdict(m['max_ece'] <= TARGETS['max_ece'])} |",
        f"| better than the rules on every label (AUROC and log-loss) | "
        f"{'all labels' if not worse else 'not on ' + ', '.join(worse)} | {verdict(not worse)} |",
    ]


def nothing_lacking_rows(evaluation: dict) -> list[str]:
    """Markdown rows: ``p_nothing_lacking`` of the model beside the oracle's, then its targets, met or not."""
    m, o = evaluation["model"]["nothing_lacking"], evaluation["oracle"]["nothing_lacking"]
    gap = o["auroc"] - m["auroc"]
    excess = m["log_loss"] / o["log_loss"] - 1
    return [
        "| p_nothing_lacking | AUROC | log-loss | Brier | ECE |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(f"| {name} | {b['auroc']:.4f} | {b['log_loss']:.4f} | {b['brier']:.4f} | {b['ece']:.4f} |"
          for name, b in (("model", m), ("oracle", o))),
        "",
        "| target for p_nothing_lacking | measured | |",
        "| --- | --- | --- |",
        f"| AUROC within {TARGETS['auroc_gap']} of the oracle | {gap:.4f} below | {verdict(gap <= TARGETS['auroc_gap'])} |",
        f"| log-loss within {TARGETS['log_loss_excess']:.0%} of the oracle | {excess:+.2%} | "
        f"{verdict(excess <= TARGETS['log_loss_excess'])} |",
        f"| ECE at most {TARGETS['max_ece']} | {m['ece']:.4f} | {verdict(m['ece'] <= TARGETS['max_ece'])} |",
    ]


def write_model_card(kb: KnowledgeBase, result, folder: str | Path | None = None) -> Path:
    """Write ``model_card.md`` and ``figures/`` into ``folder`` (default models/, beside the model, which git
    ignores: what training writes leaves the tree clean); returns the folder."""
    folder = manifest.models_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rel_png, roc_png = _figures(result, folder / "figures")
    ev = result.evaluation
    m, o, r = ev["model"], ev["oracle"], ev["rules"]
    meta = result.predictor.metadata
    versions = manifest.versions()

    lines = [
        "# twitch-triage model card",
        "",
        "> Educational software, not medical advice. The model is trained on **synthetic** cases",
        "> generated from a knowledge base built from two web articles (copied in `data/seeds/`); it has",
        "> **not been validated on patients**.",
        "",
        "## What it is",
        "",
        f"- **Model**: `{meta.get('model', '')}` inside a scikit-learn `Pipeline` after `AnswerEncoder`",
        "  (each yes/no answer -> *is yes*, *is no*; unknown is neither, so it is missing information,",
        "  not \"no\"; days -> log1p(days), days / 100 and a *known* flag). The network regresses the log-odds of the exact",
        "  posterior (the oracle) of its training cases, one output per label and one for P(no label), the",
        "  posterior mass of lacking none of them (`p_nothing_lacking`); Platt scaling per output, fitted on a",
        "  held-out fifth against the truth, calibrates it. `likely` lists the labels more likely than not",
        f"  (probability at least {contract.LIKELY_AT_LEAST}, at most {contract.LIKELY_AT_MOST}, most probable first).",
        f"- **Training data**: {meta.get('train_n', 0):,} synthetic cases (random draw no. {meta.get('train_seed')}), knowledge base",
        f"  `{meta.get('kb_path')}` sha256 `{kb.sha256[:16]}…`.",
        f"- **Held-out evaluation**: {ev['n_cases']:,} fresh cases (random draw no. {ev['seed']}), with answers left unknown at the",
        "  knowledge base's missing rates, as real users leave them.",
        f"- **Versions**: Python {versions['python']}, scikit-learn {versions['scikit-learn']}, numpy {versions['numpy']},",
        f"  joblib {versions['joblib']}, twitch-triage {versions['twitch-triage']}.",
        f"- **Training time**: {result.seconds['total']:.0f} s in all (generation and oracle targets",
        f"  {result.seconds['generate']:.0f} s, fit and calibration {result.seconds['fit']:.0f} s, evaluation {result.seconds['evaluate']:.0f} s).",
        "",
        "## Against the oracle and the articles' rules",
        "",
        "The **oracle** is the exact posterior of the generator's own model: the best any classifier can",
        "do on this data. The **rules** are the articles' pattern list (\"eyelid twitching -> magnesium\", the",
        "comparison table of “What Deficiency Causes Muscle Twitching at Rest?”) used as a scorer, with an isotonic map from the number of matching patterns to a",
        "probability (fitted on separate cases).",
        "",
        *metrics_table(ev),
        "",
        *target_rows(ev),
        "",
        "### Nothing lacking",
        "",
        "`p_nothing_lacking`, the probability that the case lacks none of the ten (against whether it truly",
        "lacks none; the rules give no such probability):",
        "",
        *nothing_lacking_rows(ev),
        "",
        "### Per label",
        "",
        "| label | AUROC model | oracle | rules | log-loss model | oracle | rules | ECE model |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for lab in contract.LABELS:
        pm, po, pr = m["per_label"][lab], o["per_label"][lab], r["per_label"][lab]
        lines.append(
            f"| {lab} | {pm['auroc']:.4f} | {po['auroc']:.4f} | {pr['auroc']:.4f} | {pm['log_loss']:.4f} | "
            f"{po['log_loss']:.4f} | {pr['log_loss']:.4f} | {pm['ece']:.4f} |"
        )
    lines += [
        "",
        f"![Reliability diagrams](figures/{rel_png})",
        "",
        f"![ROC curves](figures/{roc_png})",
        "",
        "## Limits",
        "",
        "- The cases are synthetic: sampled from a noisy-OR network whose structure comes from two web",
        "  articles and whose numbers (base rates, strengths, leaks, missing rates) are modelling",
        "  assumptions written in `data/knowledge_base.yaml`. Agreement with the oracle shows the model",
        "  learned that network, not that the network is true of people.",
        "- Not validated on patients. It cannot see blood results, medicines other than corticosteroids,",
        "  pregnancy, kidney disease or any condition outside the ten labels.",
        "- Some deficiencies have few distinctive signs in the articles (vitamin B6, protein, dehydration),",
        "  so even the oracle separates them poorly: their probabilities stay close to the base rate.",
        "- Red flags are deterministic rules on the answers; the one exception, `probable_deficiency`, reads",
        "  this model's probabilities and can only raise a disposition (to see a doctor for a blood test).",
        "",
    ]
    (folder / "model_card.md").write_text("\n".join(lines), encoding="utf-8")
    return folder
