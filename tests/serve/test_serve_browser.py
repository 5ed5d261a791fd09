"""``chipdemand serve`` end to end in the system's headless Chromium (Debian's package), driven by
Playwright's Python package: edit an input, watch the headline move, see an error at its key, fix
it, save, and find the file changed with its comments kept. Takes the README's screenshot."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

import chipdemand as cd  # noqa: E402
from chipdemand.serve.app import create_app  # noqa: E402
from chipdemand.serve.server import allowed_hosts, bind, page_url  # noqa: E402
from chipdemand.serve.session import Session  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: the README's screenshot is retaken when this names a file (``CHIPDEMAND_SCREENSHOT=docs/serve.png``);
#: otherwise the test's own folder gets it, and the repository is left as it was
SCREENSHOT = os.environ.get("CHIPDEMAND_SCREENSHOT")
STUDY = "chatgpt_inference_2025"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real uvicorn server on a free port, in a thread, serving a copy of a shipped study."""
    source = Path(next(s["path"] for s in cd.list_studies() if s["name"] == STUDY))
    path = tmp_path / f"{STUDY}.toml"
    shutil.copy(source, path)
    session = Session.open(str(path), preview_draws=5000, full_draws=20_000)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(session, allowed_hosts("127.0.0.1", port))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    serving = uvicorn.Server(config)
    thread = threading.Thread(target=serving.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not serving.started:
        time.sleep(0.02)
    try:
        yield page_url("127.0.0.1", port, session.token), path
    finally:
        serving.should_exit = True
        thread.join(10)
        sock.close()


def _median(page: sync_api.Page) -> float:
    return float(page.get_attribute("#headline-median", "data-value") or "nan")


def test_edit_error_fix_save(server):
    url, path = server
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.wait_for_selector("#status[data-state=full]", timeout=20_000)
            page.wait_for_selector("#drivers svg", timeout=10_000)
            page.screenshot(path=SCREENSHOT or str(path.with_suffix(".png")))
            before = _median(page)

            # change an input's interval in its row: the headline median moves
            row = page.locator("tr[data-input=weekly_active_users]")
            row.locator(".dist-words").click()
            row.locator("input[name=low]").fill("1.2e9")
            row.locator("input[name=high]").fill("1.6e9")
            row.locator("button[type=submit]").click()
            page.wait_for_function(
                f"Number(document.querySelector('#headline-median').dataset.value) > {before * 1.3}"
            )
            assert "ci = [1200000000, 1600000000]" in page.input_value("#editor")

            # a misspelt key: the loader's message at its key and line, results kept but stale
            page.click(".tabs button[data-tab=text]")
            good = page.input_value("#editor")
            page.fill(
                "#editor", good.replace("ci = [1200000000, 1600000000]", "cii = [1200000000, 1600000000]")
            )
            error = page.wait_for_selector('#errors li[data-key="inputs.weekly_active_users.cii"]')
            assert "did you mean 'ci'" in error.inner_text()
            assert re.search(r"line \d+", error.inner_text())
            assert page.is_visible("#stale") and page.locator(".gutter .bad").count() == 1

            # fixed: the error goes, the numbers are fresh again
            page.fill("#editor", good)
            page.wait_for_selector("#errors", state="hidden")
            page.wait_for_selector("#status[data-state=full]")
            assert not page.is_visible("#stale")

            # save: the file on disk changed, its comments kept
            page.click("#save")
            page.wait_for_selector("#notice:has-text('saved')")
            saved = path.read_text()
            assert "ci = [1200000000, 1600000000]" in saved
            assert saved.startswith("# ChatGPT's inference fleet in mid-2025")
            assert saved.count("\n# ") == good.count("\n# ")
            assert not errors
        finally:
            browser.close()
