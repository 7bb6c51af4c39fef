"""What every page of the app shares: the knowledge base, the model (loaded once), the disclaimer."""

from __future__ import annotations

import html
import re
from pathlib import Path

import streamlit as st

from twitch_triage.model import artifact, manifest
from twitch_triage.settings import Settings
from twitch_triage import knowledge

__all__ = [
    "LEVEL_ICONS",
    "models_dir",
    "knowledge_base_or_stop",
    "predictor_or_stop",
    "load_predictor",
    "disclaimer",
    "disclaimer_parts",
    "note_page",
    "same_page_as_before",
    "banner",
    "cite",
    "plain",
    "verbatim",
    "quiet",
    "quiet_cite",
    "call_link",
    "filled",
    "cited",
]

_NUMBER_MARK = "\x00emergency-number\x00"  # stands for the number while the rest of a text is escaped
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)

LEVEL_ICONS = {
    "emergency": ":material/emergency:",
    "urgent": ":material/warning:",
    "see_doctor": ":material/stethoscope:",
    "self_care": ":material/self_improvement:",
}


def settings() -> Settings:
    """This run's settings, from the environment (``TWITCH_TRIAGE_MODELS``, ``TWITCH_TRIAGE_EMERGENCY_NUMBER``)."""
    return Settings.from_environment()


def models_dir() -> Path:
    """The model folder: ``$TWITCH_TRIAGE_MODELS``, else the project's ``models/``."""
    return settings().models_dir


def knowledge_base_or_stop() -> knowledge.KnowledgeBase:
    """The knowledge base (cached by the library until the file changes); a bad file stops the page."""
    try:
        return knowledge.load_default()  # (the settings' file, from the environment)
    except knowledge.KnowledgeBaseError as exc:
        st.error(f"The knowledge base cannot be used: {exc}", icon=":material/error:")
        st.stop()
        raise  # unreachable: st.stop() ends the run


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _load(folder: str, kb_sha256: str, manifest_mtime_ns: int, _kb: knowledge.KnowledgeBase) -> artifact.Predictor:
    """The checked model of ``folder``, one object for every session of this process.

    The cache, ``st.cache_resource``, keeps the object itself (not a copy): the predictor is read-only once loaded,
    so every session and rerun may share it, and a page does not read and check the arrays again on each click.
    It is keyed by the first three arguments, each for a reason:

    - ``folder``: ``$TWITCH_TRIAGE_MODELS`` may name another model folder;
    - ``kb_sha256``: the predictor's ``stale`` flag says whether the knowledge base changed since training, so an
      edited knowledge base needs a predictor of its own;
    - ``manifest_mtime_ns``: ``make train`` while the app runs rewrites the manifest, and the new model is loaded.

    ``_kb``, the knowledge base itself, is not hashed (Streamlit skips an argument whose name starts with ``_``):
    ``kb_sha256`` stands for it. ``max_entries=4`` bounds the memory the old models keep. A failed load
    (:class:`artifact.ArtifactError`) is not cached: the next run tries again. Tests clear the cache
    (``st.cache_resource.clear()``) to load their own model.
    """
    return artifact.load(folder, kb=_kb)


def load_predictor(kb: knowledge.KnowledgeBase) -> artifact.Predictor:
    """The checked model, loaded once per process (see :func:`_load` for what the cache is keyed by); raises
    :class:`artifact.ArtifactError`."""
    folder = models_dir()
    try:
        mtime = manifest.manifest_path(folder).stat().st_mtime_ns
    except OSError:
        mtime = -1
    return _load(str(folder), kb.sha256, mtime, kb)


def predictor_or_stop(kb: knowledge.KnowledgeBase) -> artifact.Predictor:
    """The model, or a one-line error (which says to run `make train`) and the end of this page."""
    try:
        predictor = load_predictor(kb)
    except artifact.ArtifactError as exc:
        st.error(f"The model cannot be used: {verbatim(str(exc))}", icon=":material/error:")
        st.stop()
        raise  # unreachable
    if predictor.stale:
        st.warning(manifest.STALE_WARNING, icon=":material/update:")
    return predictor


_PAGE, _PAGE_BEFORE = "page_now", "page_before"
DISCLAIMER_MORE = "More about this tool's limits"


def note_page(url_path: str) -> None:
    """Remember which page this run shows, and which the run before showed (see :func:`same_page_as_before`)."""
    st.session_state[_PAGE_BEFORE] = st.session_state.get(_PAGE)
    st.session_state[_PAGE] = url_path


def same_page_as_before() -> bool:
    """True when the run before showed this same page (a rerun or the browser's Back within it), False when the
    person came from another page or the session just began."""
    return _PAGE_BEFORE in st.session_state and st.session_state[_PAGE_BEFORE] == st.session_state.get(_PAGE)


def disclaimer_parts(text: str) -> tuple[str, str]:
    """The disclaimer as shown (its first and last sentence: what the tool is not, what to do in an emergency)
    and as folded (the sentences between)."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    if len(sentences) <= 2:
        return " ".join(sentences), ""
    return f"{sentences[0]} {sentences[-1]}", " ".join(sentences[1:-1])


_WRAP_TABLES = ("<style>[data-testid='stTable'] table{table-layout:fixed;width:100%!important;min-width:0!important}"
                "[data-testid='stTable'] > div{overflow:visible!important;max-height:none!important}"
                "[data-testid='stTable'] th,[data-testid='stTable'] td{overflow-wrap:anywhere;white-space:normal}"
                "</style>")


# Tables (st.table) as wide as the page and no wider: their text wraps, so that on a phone no table becomes a region
# that scrolls sideways (which a keyboard cannot reach: axe-core's scrollable-region-focusable). The style rides in
# the disclaimer's element, on every page, so that it takes no room of its own.


def disclaimer(kb: knowledge.KnowledgeBase) -> None:
    """The knowledge base's disclaimer at the top of every page: two sentences, the rest folded under them, so
    that on a phone it takes a line or two and the questions start on the first screen."""
    shown, rest = disclaimer_parts(kb.disclaimer.text)
    st.info(f":small[{plain(shown)}]", icon=":material/info:")
    # the rest in the browser's own fold (<details>): no rerun to open it, and the keyboard opens it with Enter
    fold = (f'<details class="tt-disclaimer"><summary>{DISCLAIMER_MORE}</summary>'
            f'<p style="margin:0.5rem 0 0">{html.escape(rest)}</p></details>') if rest else ""
    st.html(_WRAP_TABLES + fold)


def banner(level_id: str, body: str) -> None:
    """A coloured banner for a triage level: red for emergency/urgent, amber for a visit, green for self-care."""
    show = {"emergency": st.error, "urgent": st.error, "see_doctor": st.warning}.get(level_id, st.success)
    show(body, icon=LEVEL_ICONS.get(level_id))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("$", "\\$")


def plain(text: str) -> str:
    """Text for st.markdown without accidental emphasis or math (``*``, ``_``, ``$``); a `code span` stays one
    (inside it nothing is Markdown, and an escape would show as a backslash)."""
    text = str(text)
    parts, position = [], 0
    for match in _CODE_SPAN.finditer(text):
        parts += [_escape(text[position:match.start()]), match.group(0)]
        position = match.end()
    return "".join(parts) + _escape(text[position:])


def verbatim(text: str) -> str:
    """Text the app does not write (about an uploaded file or a model file) for st.markdown, st.error or
    st.warning, shown exactly as it is.

    One Markdown code span on one line: inside it nothing is Markdown or HTML,
    so no link, image, emphasis or directive can come from the text, and no
    address becomes a link (escaping the characters would not stop that).
    """
    text = re.sub(r"[\r\n]+", " ", str(text))  # a line break could end the span
    fence = "`" * (max(map(len, re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def cite(source: knowledge.Source) -> str:
    """A source as one markdown-safe line."""
    return plain(source.cite())


def quiet(note: str) -> str:
    """A source written as one line (e.g. a report's note) as small grey markdown, to sit under the text it
    supports."""
    return ":small[:gray[" + plain(note).replace("[", "(").replace("]", ")") + "]]"


def quiet_cite(source: knowledge.Source) -> str:
    """A source as small grey markdown, to sit under the text it supports."""
    return quiet(source.cite())


def call_link(number: str) -> str:
    """The ``tel:`` address that dials ``number`` (a configured emergency number: digits, spaces, + and -)."""
    return "tel:" + re.sub(r"[^0-9+]", "", number)


def filled(text: knowledge.Cited, **values: object) -> str:
    """A knowledge-base text with its placeholders filled, markdown-safe; the emergency number, when one is
    configured (``TWITCH_TRIAGE_EMERGENCY_NUMBER``), is a link that dials it on a phone."""
    number = settings().emergency_number
    if number is None:
        return plain(text.fill(**values))
    return plain(text.fill(emergency_number=_NUMBER_MARK, **values)).replace(
        _NUMBER_MARK, f"[{plain(number)}]({call_link(number)})")


def cited(text: knowledge.Cited, **values: object) -> str:
    """A knowledge-base text (as :func:`filled`) with its source in small grey print on the line below."""
    return f"{filled(text, **values)}  \n{quiet_cite(text.source)}"
