"""What Streamlit gives no API for, done by a small script in the page: after a new screen of the interview, focus
its question and scroll it into view, announce it in a polite live region, and name each answer button with its
question (a screen reader otherwise hears only "Yes", "No", "Don't know").

The script is rendered with ``st.html(..., unsafe_allow_javascript=True)``: it runs in the app's own page (no
frame, nothing fetched), and only its text comes from the app (the question, JSON-encoded, never markup).
"""

from __future__ import annotations

import json

import streamlit as st

__all__ = ["QUESTION_KEY", "RESULT_KEY", "LIVE_ID", "ANSWER_KEYS", "new_screen"]

QUESTION_KEY = "question"  # the container of the question on screen: its elements carry the class st-key-question
RESULT_KEY = "result"  # the container of the interview's result
LIVE_ID = "tt-live"  # the polite live region, made once per page at the end of its body
ANSWER_KEYS = ("answer_yes", "answer_no", "answer_unknown")  # a single question's buttons, in their order

_SCRIPT = """<script>
(() => {
  const screen = %(screen)s, question = %(question)s, announce = %(announce)s, answers = %(answers)s;
  const described = %(described)s, enter = %(enter)s;
  const doc = document;
  let live = doc.getElementById(%(live)s);
  if (!live) {
    live = doc.createElement("div");
    live.id = %(live)s;
    live.setAttribute("aria-live", "polite");
    live.setAttribute("role", "status");
    live.style.cssText = "position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;"
      + "clip:rect(0 0 0 0);white-space:nowrap;border:0";
    doc.body.appendChild(live);
  }
  const first = window.__ttScreen === undefined;  // the page just opened: leave focus and scroll where they are
  const same = window.__ttScreen === screen;
  window.__ttScreen = screen;
  // Names, descriptions and the arrow keys: applied now and again whenever Streamlit redraws the question's box.
  window.__ttApply = () => {
    const box = doc.querySelector(".st-key-%(box)s");
    if (!box) return;
    answers.forEach((key) => {
      const button = box.querySelector(".st-key-" + key + " button");
      const name = button && button.innerText.replace(/^\\S+\\n+/, "").trim() + ": " + question;
      if (button && button.getAttribute("aria-label") !== name) button.setAttribute("aria-label", name);
    });
    Object.entries(described).forEach(([key, text]) => {
      const widget = box.querySelector(".st-key-" + key);
      if (!widget) return;
      const group = widget.querySelector('[role="radiogroup"]');
      if (group && group.getAttribute("aria-description") !== text) group.setAttribute("aria-description", text);
      widget.querySelectorAll('[data-testid="stTooltipIcon"] button, button[aria-label^="Help for"]')
        .forEach((help) => { if (help.tabIndex !== -1) help.tabIndex = -1; });
    });
    if (enter.length) {  // a number: its - and + leave the tab order (the arrow keys step it); Enter goes on
      const [field, next] = enter;
      box.querySelectorAll(".st-key-" + field + " button").forEach((b) => { if (b.tabIndex !== -1) b.tabIndex = -1; });
      const input = box.querySelector(".st-key-" + field + " input");
      if (input && !input.dataset.ttEnter) {
        input.dataset.ttEnter = "1";
        input.addEventListener("keydown", (event) => {
          if (event.key !== "Enter") return;
          setTimeout(() => { const b = box.querySelector(".st-key-" + next + " button"); if (b) b.click(); }, 80);
        });
      }
    }
    if (answers.length && !box.dataset.ttArrows) {  // arrow keys move between the answers, round the row
      box.dataset.ttArrows = "1";
      box.addEventListener("keydown", (event) => {
        const row = answers.map((key) => box.querySelector(".st-key-" + key + " button")).filter(Boolean);
        const at = row.indexOf(doc.activeElement);
        const step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[event.key];
        if (at < 0 || !step) return;
        event.preventDefault();
        row[(at + step + row.length) %% row.length].focus();
      });
    }
  };
  if (!window.__ttObserver) {
    let queued = false;
    window.__ttObserver = new MutationObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; window.__ttApply(); });
    });
    window.__ttObserver.observe(doc.body, {childList: true, subtree: true});
  }
  let tries = 0;
  const ready = (strict) => {
    const box = doc.querySelector(".st-key-%(box)s");
    if (!box || (strict && box.closest('[data-stale="true"]'))) return null;
    const heading = box.querySelector("h1, h2, h3, h4, h5, h6");
    if (!heading) return null;
    return !strict || heading.textContent.replace(/\\s+/g, " ").includes(question) ? [box, heading] : null;
  };
  const go = () => {
    const found = ready(tries < 60);  // after 3 s, whatever heading the question's box shows
    if (!found) { if (tries++ < 100) setTimeout(go, 50); return; }
    const [box, heading] = found;
    window.__ttApply();
    if (first || same) return;
    heading.setAttribute("tabindex", "-1");
    if (box.getBoundingClientRect().top < 0 || box.getBoundingClientRect().top > window.innerHeight / 2) {
      box.scrollIntoView({block: "start"});  // the new screen from its top, not the middle of its list
    }
    heading.focus({preventScroll: true});
    live.textContent = "";
    setTimeout(() => { live.textContent = announce; }, 150);
  };
  go();
})();
</script>"""


def new_screen(screen: str, question: str, announce: str, *, answers: tuple[str, ...] = (),
               described: dict[str, str] | None = None, enter: tuple[str, str] | None = None,
               box: str = QUESTION_KEY) -> None:
    """Once per new ``screen`` (any string that differs from one screen to the next): focus the heading of the
    container keyed :data:`QUESTION_KEY` once it shows ``question``, scroll that container to its top, and say
    ``announce`` in the live region; name the buttons keyed ``answers`` "<their label>: <question>", and let the
    arrow keys move between them. ``described`` maps the key of a radio to its help: the help becomes the radio
    group's description (read by a screen reader as focus enters it) and its "?" leaves the tab order, so that an
    item takes one Tab. ``enter`` is (the key of a number input, the key of its Next button): Enter in the field
    presses Next, and its - and + buttons leave the tab order. On the page's first screen, focus and scroll are
    left alone. ``box`` is the key of the container to look in (the result's, :data:`RESULT_KEY`, at the end)."""
    values = {"screen": screen, "question": " ".join(question.split()), "announce": announce,
              "answers": list(answers), "live": LIVE_ID,
              "described": described or {}, "enter": list(enter or ())}
    script = _SCRIPT % {**{k: _js(v) for k, v in values.items()}, "box": box}
    st.html(script, unsafe_allow_javascript=True)


def _js(value) -> str:
    """A value as a JavaScript literal that cannot end the script element."""
    return json.dumps(value).replace("</", "<\\/")
