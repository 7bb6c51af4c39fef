"""The app's memory for one uploaded file: `streamlit run app.py`, and Chromium uploads a CSV to "Score a file".

Not part of ``make bench`` (a minute or two): run it by hand after changing how the page
scores a file. It prints the server process's resident memory (Linux ``VmRSS``) with the
page open, its peak (``VmHWM``, reset just before the upload) once the file is uploaded,
scored and previewed, the peak again after the scored file is downloaded, ``VmRSS``
after the browser has gone (past ``server.disconnectedSessionTTL``, 120 s, when
Streamlit ends the session), and what the page left in its temporary folder.

Usage::

    .venv/bin/python benchmarks/app_upload_memory.py [--mb 150] [--model DIR] [--after 150]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from twitch_triage.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
BYTES_PER_CASE = 134  # a case as `twitch-triage generate` writes it


def cases_file(mb: int) -> Path:
    """A CSV of about ``mb`` MB from `twitch-triage generate`, kept in the temporary folder between runs."""
    path = Path(tempfile.gettempdir()) / f"twitch-triage-upload-{mb}mb.csv"
    if not path.is_file():
        n = mb * 1_000_000 // BYTES_PER_CASE
        subprocess.run([sys.executable, "-m", "twitch_triage", "generate", "--n", str(n), "--seed", "1",
                        "-o", str(path)], check=True)
    return path


def memory(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of ``pid`` in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {key: int(fields[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM")}


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # sets VmHWM to the current VmRSS


def leftover(folder: str) -> int:
    """Bytes in the files under ``folder``."""
    return sum(path.stat().st_size for path in Path(folder).rglob("*") if path.is_file())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise SystemExit(f"streamlit not healthy after {seconds} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mb", type=int, default=150, help="size of the uploaded file (default 150 MB)")
    parser.add_argument("--model", default=str(Settings.from_environment().models_dir), help="model folder (default models/)")
    parser.add_argument("--after", type=float, default=150, help="seconds to wait after the browser closes")
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    upload = cases_file(args.mb)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    streamlit = Path(sys.executable).with_name("streamlit")
    scratch = tempfile.TemporaryDirectory(prefix="app-upload-memory-")  # the server's own temporary folder
    server = subprocess.Popen(
        [str(streamlit), "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "TWITCH_TRIAGE_MODELS": args.model, "TMPDIR": scratch.name},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        wait_healthy(url, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{url}/score", wait_until="domcontentloaded")
            chooser = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
            expect(chooser).to_be_attached(timeout=60_000)
            time.sleep(2)
            rows.append(("page open, before the upload (VmRSS)", memory(server.pid)["VmRSS"]))
            reset_peak(server.pid)
            start = time.perf_counter()
            chooser.set_input_files(str(upload))
            button = page.get_by_role("button", name="Download the scored CSV")
            expect(button).to_be_visible(timeout=600_000)
            seconds = time.perf_counter() - start
            rows.append((f"peak while uploading, scoring, previewing ({seconds:.0f} s) (VmHWM)",
                         memory(server.pid)["VmHWM"]))
            with page.expect_download(timeout=600_000) as download:
                button.click()
            download.value.path()
            rows.append(("peak including the download (VmHWM)", memory(server.pid)["VmHWM"]))
            rows.append(("after the download (VmRSS)", memory(server.pid)["VmRSS"]))
            page.close()
            time.sleep(args.after)
            rows.append((f"{args.after:.0f} s after the page closed (VmRSS)", memory(server.pid)["VmRSS"]))
            left = [("then", leftover(scratch.name))]
            # Streamlit forgets an expired session only when another one comes and goes
            for _ in range(2):
                other = browser.new_page()
                other.goto(url, wait_until="domcontentloaded")
                expect(other.locator('[data-testid="stAlert"]').first).to_be_visible(timeout=60_000)
                other.close()
                time.sleep(5)
            rows.append(("after two more visits (VmRSS)", memory(server.pid)["VmRSS"]))
            left.append(("after two more visits", leftover(scratch.name)))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        scratch.cleanup()
    print(f"one {upload.stat().st_size / 1e6:.0f} MB upload, model {args.model}")
    for what, mb in rows:
        print(f"  {what:60} {mb:6,} MB")
    for when, size in left:
        print(f"  {'left in the temporary folder ' + when:60} {size // 1_000_000:6,} MB")


if __name__ == "__main__":
    main()
