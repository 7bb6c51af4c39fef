"""One real browser: Debian's Chromium walks an interview of the app served as `make app` serves it (with the mouse, and
with the keyboard alone), axe-core checks every state it meets, no request leaves the machine, and it takes a
screenshot."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pypdf
import pytest

from twitch_triage.report import case_report

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "reports" / "app_screenshot.png"
# The machine's network is closed: keep Chromium from reaching out at all.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 # a second guard behind the route that counts them: no other host even resolves
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost, EXCLUDE 127.0.0.1"]
OWN_HOSTS = ("127.0.0.1", "localhost")
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")  # axe-core's impacts that fail a test
READY_SECONDS = 60
MAX_SCREENS = 60  # more than the interview has questions
# The app has finished its run: no "running" sign, and no element left over from the run before.
IDLE = ("() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')")
HOSTILE_COLUMN = ("![x](http://127.0.0.1:8600/dup.png) [Your session expired: click here](http://127.0.0.1:8600/phish) "
                  "www.example.com")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium; CI must have it (a failure), a developer's machine may not (a skip)."""
    if not CHROMIUM.is_file():
        message = (f"{CHROMIUM} is missing: install Debian's chromium "
                   "(apt-get install -y --no-install-recommends chromium; .ci/run does it)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def browser(chromium):
    """Debian's Chromium under Playwright, headless; closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def server(chromium, small_model_dir, tmp_path):
    """The app's server as `make app` starts it (`python -m twitch_triage_app`), on a free port with the small model;
    always stopped afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "streamlit.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "twitch_triage_app", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "TWITCH_TRIAGE_MODELS": str(small_model_dir)},
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{(tmp_path / 'streamlit.log').read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {READY_SECONDS} s:\n{(tmp_path / 'streamlit.log').read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def settle(page) -> None:
    """Wait until the app is idle and its page stops changing: a rerun draws its elements one after the other, and
    the running sign shows only after a moment."""
    main = page.locator('[data-testid="stMain"]')
    before = None
    for _ in range(40):
        page.wait_for_function(IDLE)
        now = main.inner_html()
        if now == before:
            return
        before = now
        page.wait_for_timeout(250)
    raise AssertionError("the page kept changing")


def guarded(browser, **options):
    """A new browser context whose requests for any host but this machine are aborted and counted: (context, the
    addresses it tried)."""
    context = browser.new_context(**options)
    off_host: list[str] = []

    def route(route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in OWN_HOSTS:
            route.continue_()
        else:
            off_host.append(url)
            route.abort()

    context.route("**/*", route)
    return context, off_host


_AXE = []
OFF_HOST: dict = {}  # a guarded context -> the addresses for other hosts it tried


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page once Streamlit is idle, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    if not _AXE:
        _AXE.append(Axe())
    settle(page)
    found = _AXE[0].run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']}; "
            f"{[n['target'] for n in v['nodes'][:3]]}" for v in found if v["impact"] in BLOCKING]


def _walk_the_interview(page, expect, story: dict | None = None, kb=None) -> int:
    """From the checklist to the result; the number of screens. Without a ``story`` every screen is answered "None
    of these", "No", or "Don't know" for the days; with one (answer id -> "yes" / "no" / days, ``kb`` to read the
    questions), each item and question is answered as the story says, "No" where it is silent."""
    by_question = {" ".join(a.question.split()): a.id for a in kb.answers} if kb is not None else {}
    for screen in range(1, MAX_SCREENS):
        result = page.get_by_role("heading", name="Your result")
        asked = page.get_by_test_id("stProgress").get_by_text(re.compile(rf"^Question {screen}\b"))
        expect(result.or_(asked)).to_be_visible(timeout=30_000)
        settle(page)
        if result.is_visible():
            return screen - 1
        spin = page.get_by_role("spinbutton")
        if spin.count():  # the days
            days = (story or {}).get("duration_days")
            if days is None:
                page.get_by_role("button", name="Don't know", exact=True).click()
                continue
            spin.fill(str(days))
            page.get_by_role("button", name="Next", exact=True).click()
            continue
        items = page.locator('[data-testid="stRadio"]')
        if items.count():  # a screen of items
            if story is None:
                page.get_by_role("button", name="None of these", exact=True).click()
                continue
            for i in range(items.count()):
                item = items.nth(i)
                label = " ".join(item.locator('[data-testid="stWidgetLabel"]').inner_text().split())
                value = story.get(by_question.get(label, ""), "no")
                item.get_by_text({"yes": "Yes", "no": "No"}.get(value, "Not sure"), exact=True).click()
                settle(page)
            page.get_by_role("button", name="Next", exact=True).click()
            continue
        heading = page.locator('[data-testid="stHeading"]').filter(has_text=re.compile(".")).last
        value = "no"
        if story is not None:
            text = " ".join(heading.inner_text().split())
            value = story.get(by_question.get(text, ""), "no")
        key = {"yes": "answer_yes", "no": "answer_no"}.get(value, "answer_unknown")
        page.locator(f".st-key-question .st-key-{key} button").click()
    raise AssertionError(f"no result after {MAX_SCREENS} screens")


def _at_the_checklist(browser, server, expect):
    """A desktop page of the app, open on the warning-sign checklist; requests for other hosts are aborted and
    listed in ``OFF_HOST[page.context]``."""
    context, OFF_HOST[context] = guarded(browser, viewport=DESKTOP)
    page = context.new_page()
    page.goto(server, wait_until="domcontentloaded")
    expect(page.get_by_text("First: do you have any of these now?")).to_be_visible(timeout=30_000)
    return page


def test_in_chromium_an_interview_ends_with_the_advice_and_the_pdf_report_a_hostile_file_shows_text_and_nothing_leaves_the_machine(
        server, browser, kb):
    from playwright.sync_api import expect

    page = _at_the_checklist(browser, server, expect)
    expect(page.get_by_text(kb.disclaimer.text[:60])).to_be_visible()
    chest_pain = page.locator('[data-testid="stRadio"]').filter(has_text=kb.answer("chest_pain").question)
    expect(chest_pain).to_be_visible()
    chart = page.locator('[data-testid="stVegaLiteChart"]').locator("canvas, svg").first
    expect(chart).to_be_visible(timeout=30_000)  # beside the checklist
    assert chart.bounding_box()["x"] > chest_pain.bounding_box()["x"] + 300

    screens = _walk_the_interview(page, expect)
    assert 2 <= screens < MAX_SCREENS
    assert "chest_pain=n" in page.url and "=y" not in page.url  # the case is in the address
    banner = page.locator('[data-testid="stAlert"]').filter(
        has_text=re.compile("|".join(re.escape(kb.level(lv).title) for lv in ("see_doctor", "self_care"))))
    expect(banner).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]').locator("canvas, svg").first).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0

    # the report for the doctor, as the PDF a person downloads
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Report (PDF)").click()
    report = Path(download.value.path()).read_bytes()
    assert report.startswith(b"%PDF")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(report)).pages).split())
    shown = banner.inner_text()
    title = next(kb.level(lv).title for lv in ("see_doctor", "self_care") if kb.level(lv).title in shown)
    assert title in text
    negatives = text[text.index("No: "):text.index("Not sure (answered")]
    for answer in ("chest_pain", "fainting"):  # answered no: the pertinent negatives, by short names
        assert case_report.short_name(kb, answer).lower() in negatives

    # the same address in a new page reopens the same result
    again = page.context.new_page()
    again.goto(page.url, wait_until="domcontentloaded")
    expect(again.get_by_role("heading", name="Your result")).to_be_visible(timeout=30_000)
    expect(again.locator('[data-testid="stAlert"]').filter(has_text=title)).to_be_visible()
    again.close()

    # Streamlit scrolls inside its main area, not the page: grow the window to show it all.
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 80, 12_000)})
    page.wait_for_timeout(800)  # let the layout and the chart settle
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # a file whose column names hold an image and links: shown as text, nothing fetched or clickable
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{server}/score", wait_until="domcontentloaded")
    header = f"loc_eyelid,{HOSTILE_COLUMN},{HOSTILE_COLUMN}\nyes,1,2\n".encode()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "hostile.csv", "mimeType": "text/csv", "buffer": header}])
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="appears twice")
    expect(alert).to_be_visible(timeout=30_000)
    assert HOSTILE_COLUMN in alert.inner_text()
    assert alert.locator("a, img").count() == 0
    assert not [url for url in fetched if ":8600/" in url]
    assert SCREENSHOT.stat().st_size > 10_000
    # the whole walk, the report and the file: not one request for another host (the theme's font, an icon, ...)
    assert OFF_HOST[page.context] == []


def choose_page(page, title: str) -> None:
    """Click the page's link as a person would: opening the menu first if the page shows only its button."""
    from playwright.sync_api import expect

    links = page.locator("a").filter(has_text=title)
    expect(links.first).to_be_attached(timeout=30_000)  # in the page or in a menu: drawn once the page is

    def on_screen() -> list:
        boxes = [(links.nth(i), links.nth(i).bounding_box()) for i in range(links.count())]
        return [link for link, box in boxes if box and box["x"] >= 0 and box["width"] > 0]

    if not on_screen():  # a menu slid off the screen (Playwright calls it visible all the same)
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_timeout(800)
    on_screen()[0].click()


def test_on_a_phone_the_page_menu_never_covers_the_page_and_the_chart_fits(server, browser, kb):
    from playwright.sync_api import expect

    width = 390
    context, OFF_HOST[context] = guarded(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(server, wait_until="domcontentloaded")
    expect(page.get_by_text(kb.disclaimer.text[:60])).to_be_visible(timeout=30_000)
    settle(page)
    first_sign = page.locator('.st-key-question [data-testid="stRadio"]').first
    assert first_sign.bounding_box()["y"] < PHONE["height"]  # the checklist starts on the first screen
    page.get_by_role("button", name="None of these", exact=True).click()
    heading = page.locator(".st-key-question [data-testid='stHeading']").first
    expect(heading).to_have_text("Where is the twitching?", timeout=30_000)
    settle(page)
    page.wait_for_timeout(500)
    top = page.locator(".st-key-question").bounding_box()["y"]
    assert -1 <= top < PHONE["height"] / 4, top  # the new screen from its top, not the middle of its list
    page.get_by_text("Answer everything at once", exact=True).click()
    expect(page.get_by_role("button", name="Check my answers")).to_be_visible(timeout=30_000)
    settle(page)
    assert page.evaluate(CUT_OFF) == []  # no question's text cut off in the form
    page.get_by_text("Answer everything at once", exact=True).click()
    settle(page)
    choose_page(page, "About the model")
    title = page.get_by_role("heading", name="About the model", exact=True)
    expect(title).to_be_visible(timeout=30_000)
    page.wait_for_timeout(800)  # the time a menu would take to slide shut
    # Nothing lies over the page: the point at the middle of the title is the title's own.
    box = title.bounding_box()
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('[data-testid=\"stMain\"]') !== null",
                        [box["x"] + min(box["width"], width - box["x"]) / 2, box["y"] + box["height"] / 2])
    assert hit
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.count() == 0 or sidebar.bounding_box()["x"] + sidebar.bounding_box()["width"] <= 0

    choose_page(page, "Check a case")
    following = page.get_by_role("button", name="Next", exact=True)
    expect(following).to_be_visible(timeout=30_000)
    chart = page.locator('[data-testid="stVegaLiteChart"]').locator("canvas, svg").first
    expect(chart).to_be_visible(timeout=30_000)
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["y"] > following.bounding_box()["y"]  # beside the questions on a desk, below them here


EYELID_COFFEE_STRESS = {"loc_eyelid": "yes", "duration_days": 21, "high_caffeine": "yes", "stress": "yes",
                        "daily": "yes", "improves_with_rest": "yes"}  # "No" to everything else


def test_in_chromium_the_eyelid_coffee_and_stress_person_is_asked_both_and_reads_nothing_lacking_first(
        server, browser, kb):
    from playwright.sync_api import expect

    page = _at_the_checklist(browser, server, expect)
    screens = _walk_the_interview(page, expect, EYELID_COFFEE_STRESS, kb)
    assert screens <= 12
    url = page.url
    assert "high_caffeine=y" in url and "stress=y" in url  # asked about both, answered yes
    settle(page)
    headings = [" ".join(h.split()) for h in
                page.locator('[data-testid="stHeading"]').all_inner_texts()]
    advice = page.locator('[data-testid="stAlert"]').filter(has_text=kb.level("see_doctor").title)
    expect(advice).to_be_visible()
    first = next(i for i, h in enumerate(headings) if "nothing is lacking" in h)
    nutrients = next(i for i, h in enumerate(headings) if "may be lacking" in h)
    assert first < nutrients, headings  # the answer to "is it just coffee and stress?" comes first
    pointing = page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text="Your answers that point to an everyday cause")
    for trigger in ("high_caffeine", "stress"):  # both named as the triggers
        expect(pointing.filter(has_text=" ".join(kb.answer(trigger).question.split()))).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0


# --------------------------------------------------------------------------- the keyboard, a screen reader, axe-core

# The heading of the question's box, when it holds the keyboard's focus; else null.
FOCUSED_QUESTION = ("() => { const e = document.activeElement, box = document.querySelector('.st-key-question');"
                    " return box && e && box.contains(e) && /^H[1-6]$/.test(e.tagName)"
                    " ? e.textContent.replace(/\\s+/g, ' ').trim() : null; }")
# The st-key-… class of the widget that holds the focus ('' outside any), and the focused element's tag.
FOCUSED_KEY = ("() => { const e = document.activeElement; const w = e && e.closest('[class*=\"st-key-\"]:not(.st-key-question)');"
               " return [w ? [...w.classList].find(c => c.startsWith('st-key-')).slice(7) : '', e ? e.tagName : '']; }")
MAX_KEYS_PER_ITEM = 3
# The widget labels and texts whose words do not fit their box (cut off, or hidden behind an ellipsis).
CUT_OFF = ("() => [...document.querySelectorAll('[data-testid=\"stWidgetLabel\"] *, [data-testid=\"stMarkdownContainer\"] p')]"
           ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 80))")


def test_with_the_keyboard_alone_focus_lands_on_each_new_question_and_an_item_takes_at_most_three_keys(
        server, browser, kb):
    """Tab, Shift-Tab, Space, Enter and the arrow keys only: after each screen the focus is on the new question
    (and the live region says it), each answered item takes at most three key presses, the answer buttons are
    named with their question, and axe-core finds nothing serious on any screen of the walk or on the result."""
    from playwright.sync_api import expect

    page = _at_the_checklist(browser, server, expect)
    settle(page)
    violations = {"checklist": blocking_violations(page)}
    keys = {"count": 0}

    def press(key: str) -> tuple[str, str]:
        page.keyboard.press(key)
        keys["count"] += 1
        settle(page)
        return tuple(page.evaluate(FOCUSED_KEY))

    # from the top of the page into the checklist (not counted: a page's own links and menus come first)
    for _ in range(40):
        if press("Tab")[0].startswith("ask_"):
            break
    else:
        raise AssertionError("Tab never reached the checklist")
    page.keyboard.press("Shift+Tab")  # back before the first item: every screen starts before its first item
    settle(page)

    per_item, per_screen, seen, single = [], [], [], 0
    for screen in range(2, MAX_SCREENS):
        keys["count"] = 0
        items = page.locator('.st-key-question [data-testid="stRadio"]')
        if items.count():  # a screen of items: one Tab each; yes is Space, no one arrow, not sure two
            n = items.count()
            if screen == 2 or per_item:  # "None of these" after the items and Next (the checklist, and the screens
                # after the first screen of items, which is answered item by item)
                for _ in range(n + 2):
                    focused = press("Tab")
                assert focused[0] == "none_of_these", focused
                press("Enter")
                per_screen.append((keys["count"], n))
            else:
                for i in range(n):
                    before = keys["count"]
                    key = press("Tab")[0]
                    assert key.startswith("ask_"), (i, key)  # one Tab to the next item: nothing in between
                    choice = ("Space", "ArrowRight", "ArrowRight ArrowRight")[i] if i < 3 else ""
                    for each in choice.split():
                        press(each)
                    assert page.evaluate(FOCUSED_KEY)[0] == key  # the focus stays on the item answered
                    per_item.append(keys["count"] - before)
                assert press("Tab")[0] == "next"
                press("Enter")
                per_screen.append((keys["count"], n))
        elif page.locator(".st-key-question input[type=number], .st-key-question [role=spinbutton]").count():
            assert press("Tab")[1] == "INPUT"  # the days; left empty, Enter answers "don't know"
            press("Enter")
            per_item.append(keys["count"])
        else:  # one question: Tab to Yes, the arrows go round Yes, No, Don't know, Enter answers
            question = page.evaluate(FOCUSED_QUESTION)
            assert press("Tab")[0] == "answer_yes"
            for key in ("answer_yes", "answer_no", "answer_unknown"):
                name = page.locator(f".st-key-question .st-key-{key} button").get_attribute("aria-label") or ""
                assert question and question in name, (key, name, question)  # named with its question
            press(("ArrowLeft", "ArrowRight")[single % 2])  # Don't know (round from Yes), then No, and again
            single += 1
            press("Enter")
            per_item.append(keys["count"])
        result = page.get_by_role("heading", name="Your result")
        asked = page.get_by_test_id("stProgress").get_by_text(re.compile(rf"^Question {screen}\b"))
        expect(result.or_(asked)).to_be_visible(timeout=30_000)
        settle(page)
        violations[f"screen {screen}" if not result.is_visible() else "result"] = blocking_violations(page)
        if result.is_visible():  # the focus is on the result's heading, and the live region says it
            page.wait_for_function("() => (document.activeElement?.textContent || '').trim() === 'Your result'",
                                   timeout=10_000)
            assert page.evaluate(f"document.getElementById('{a11y_live()}').textContent").startswith("Your result")
            break
        page.wait_for_function(FOCUSED_QUESTION, timeout=10_000)  # the focus is on the new question
        heading = page.evaluate(FOCUSED_QUESTION)
        live = page.evaluate(f"document.getElementById('{a11y_live()}')?.textContent || ''")
        assert heading in live and f"Question {screen}" in live, (heading, live)  # and the live region says it
        box = page.locator(".st-key-question").bounding_box()
        assert box["y"] >= -1  # the new screen shows from its top
        seen.append(heading)
    else:
        raise AssertionError("no result")
    assert len(seen) >= 3 and single >= 1, seen
    assert max(per_item) <= MAX_KEYS_PER_ITEM, per_item
    assert all(total <= MAX_KEYS_PER_ITEM * n for total, n in per_screen), per_screen
    assert not {state: found for state, found in violations.items() if found}, violations
    assert OFF_HOST[page.context] == []
    print(f"keys per item {per_item}; per screen of items (keys, items) {per_screen}; screens {len(seen) + 1}")


def a11y_live() -> str:
    from twitch_triage_app.ui import a11y

    return a11y.LIVE_ID


def _all_no_address(kb) -> str:
    """A case every question of which is answered no (the days unknown): the interview is over."""
    return "?" + "&".join(f"{a.id}={'u' if a.role == 'days' else 'n'}" for a in kb.answers)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_core_finds_nothing_serious_on_the_first_screen_a_result_score_a_file_and_about(
        server, browser, kb, viewport):
    from playwright.sync_api import expect

    context, off_host = guarded(browser, viewport=viewport, is_mobile=viewport is PHONE,
                                has_touch=viewport is PHONE)
    page = context.new_page()
    violations = {}
    page.goto(server, wait_until="domcontentloaded")
    expect(page.get_by_text("First: do you have any of these now?")).to_be_visible(timeout=30_000)
    violations["first screen"] = blocking_violations(page)
    page.goto(server + _all_no_address(kb), wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Your result")).to_be_visible(timeout=30_000)
    violations["result"] = blocking_violations(page)
    page.goto(f"{server}/score", wait_until="domcontentloaded")
    upload = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    expect(upload).to_be_attached(timeout=30_000)
    violations["score a file"] = blocking_violations(page)
    upload.set_input_files(files=[{"name": "cases.csv", "mimeType": "text/csv",
                                   "buffer": b"case_id,loc_eyelid,cramp,weakness\n1,yes,no,?\n2,?,?,?\n3,maybe,1,0\n"}])
    expect(page.get_by_role("heading", name=re.compile("^Preview"))).to_be_visible(timeout=30_000)
    violations["score a file, scored"] = blocking_violations(page)
    page.goto(f"{server}/about", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="About the model", exact=True)).to_be_visible(timeout=30_000)
    violations["about"] = blocking_violations(page)
    assert not {state: found for state, found in violations.items() if found}, violations
    assert off_host == []


def test_in_chromium_the_browsers_back_button_steps_back_through_the_questions_not_out_of_the_app(
        server, browser, kb):
    from playwright.sync_api import expect

    page = _at_the_checklist(browser, server, expect)
    settle(page)
    page.get_by_role("button", name="None of these", exact=True).click()
    heading = page.locator(".st-key-question [data-testid='stHeading']").first
    expect(heading).to_have_text("Where is the twitching?", timeout=30_000)
    settle(page)
    first = page.locator('.st-key-question [data-testid="stRadio"]').first
    first.get_by_text("Yes", exact=True).click()
    settle(page)
    page.get_by_role("button", name="Next", exact=True).click()
    expect(heading).not_to_have_text("Where is the twitching?", timeout=30_000)
    settle(page)
    page.go_back()  # the browser's own Back
    expect(heading).to_have_text("Where is the twitching?", timeout=30_000)
    settle(page)
    assert page.url.startswith(server) and "chest_pain=n" in page.url and "loc_eyelid" not in page.url
    expect(first.locator("input[type=radio]").first).to_be_checked()  # the answer taken back, shown again
    page.go_back()
    expect(heading).to_have_text("First: do you have any of these now?", timeout=30_000)
    settle(page)
    assert page.url.startswith(server) and "chest_pain" not in page.url
    assert OFF_HOST[page.context] == []


def test_the_first_session_of_a_new_server_hears_of_an_address_it_could_not_read_at_once(server, browser):
    """Streamlit reads no part of an address of more than 1,000 parameters; the first page a new server shows says
    so before any click: the guard is in place before the server's first session."""
    from playwright.sync_api import expect

    context, OFF_HOST[context] = guarded(browser, viewport=DESKTOP)
    page = context.new_page()
    page.goto(server + "/?" + "&".join(["loc_eyelid=n"] * 1000 + ["chest_pain=y"]), wait_until="domcontentloaded")
    expect(page.get_by_text("First: do you have any of these now?")).to_be_visible(timeout=30_000)
    settle(page)
    notice = page.get_by_text("this page's address had 1,001 parameters", exact=False)
    expect(notice).to_be_visible(timeout=10_000)
    assert OFF_HOST[context] == []
