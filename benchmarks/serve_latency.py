"""Latency of ``chipdemand serve``: from an edit to updated numbers, and the page's first plot.

For each shipped study, ``--edits`` edits (each a new text, so the parse cache misses as after a
real keystroke) are posted to ``/api/preview`` at 20,000 draws through Starlette's test client,
for the base scenario alone and for every scenario; the table gives p50 and p95 of the server
time, with the share of it spent parsing, simulating and building the plot data (measured apart
on the same text). As a baseline in the same process, the same text is also sent unchanged (the
parsed study cached): the ratio says what the parse costs. ``--browser`` also times the page's
first plot in headless Chromium (/usr/bin/chromium) against a real uvicorn server.

    python benchmarks/serve_latency.py                  # every shipped study, 15 edits each
    python benchmarks/serve_latency.py --study chatgpt_inference_2025 --browser
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np
from starlette.testclient import TestClient

import chipdemand as cd
from chipdemand.serve.app import create_app
from chipdemand.serve.session import Session
from chipdemand.serve.views import view_of_run

DRAWS = 20_000


def _client(name: str) -> tuple[TestClient, Session]:
    session = Session.open(name, preview_draws=DRAWS)
    client = TestClient(create_app(session, ["testserver"]))
    client.headers["X-Chipdemand-Token"] = session.token
    return client, session


def _time(client: TestClient, text: str, scenarios: list[str] | None) -> float:
    start = time.perf_counter()
    answer = client.post("/api/preview", json={"toml": text, "draws": DRAWS, "scenarios": scenarios})
    elapsed = time.perf_counter() - start
    if answer.status_code != 200:
        raise SystemExit(f"{answer.status_code}: {answer.text[:300]}")
    return elapsed


def _stages(session: Session, text: str, scenarios: list[str] | None) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    cd.parse_study(text, session.parse_path)
    t1 = time.perf_counter()
    study = session.study(text)  # parsed by the edit's request (the inversions are cached per process)
    t1b = time.perf_counter()
    run = cd.run(study, draws=DRAWS, scenarios=scenarios, keep=True)
    t2 = time.perf_counter() - (t1b - t1)
    view_of_run(run, scenarios[0] if scenarios else "base")
    run.to_dict()
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def _p(values: list[float], q: float) -> float:
    return float(np.quantile(values, q)) * 1e3


def study_rows(name: str, edits: int) -> list[str]:
    client, session = _client(name)
    rows = []
    with client:
        text = session.text
        for label, scenarios in (("base", ["base"]), ("all", None)):
            _time(client, text + "\n# warm-up\n", scenarios)
            edited, cached, stages = [], [], []
            for i in range(edits):  # interleaved: an edit, then the same text again (cached)
                new = f"{text}\n# edit {label} {i}\n"
                edited.append(_time(client, new, scenarios))
                session._runs.clear()  # the run is redone, only the parse is cached
                cached.append(_time(client, new, scenarios))
                session._runs.clear()
                stages.append(_stages(session, new, scenarios))
            parse, simulate, view = (statistics.median(s[k] for s in stages) * 1e3 for k in range(3))
            n = len(session.study(text).scenario_names) if scenarios is None else 1
            ratio = statistics.median(e / c for e, c in zip(edited, cached, strict=True))
            rows.append(
                f"| {name} | {label} ({n}) | {_p(edited, 0.5):.0f} | {_p(edited, 0.95):.0f} | "
                f"{_p(cached, 0.5):.0f} | {ratio:.2f} | {parse:.0f} / {simulate:.0f} / {view:.0f} |"
            )
    return rows


def first_plot(name: str, runs: int) -> list[float]:
    """Seconds from navigation to the first density drawn, in headless Chromium."""
    import uvicorn
    from playwright.sync_api import sync_playwright

    from chipdemand.serve.server import allowed_hosts, bind, page_url

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
    session = Session.open(name, preview_draws=DRAWS)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(session, allowed_hosts("127.0.0.1", port)), log_level="warning",
                            lifespan="off", ws="none")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    times = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            for _ in range(runs):
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                start = time.perf_counter()
                page.goto(page_url("127.0.0.1", port, session.token))
                page.wait_for_selector("#density svg path.area", timeout=30_000)
                times.append(time.perf_counter() - start)
                page.close()
                session._runs.clear()
                session._parsed.clear()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", action="append", help="a shipped study (default: every one)")
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--browser", action="store_true", help="also time the first plot in Chromium")
    args = parser.parse_args()
    names = args.study or [s["name"] for s in cd.list_studies()]
    print(f"edit → numbers at {DRAWS:,} draws, server time in ms ({args.edits} edits each)\n")
    head = "| study | scenarios | p50 | p95 | p50 unchanged | edit / unchanged | parse / simulate / view |"
    print(head)
    print("|---|---|---|---|---|---|---|")
    for name in names:
        try:
            for row in study_rows(name, args.edits):
                print(row, flush=True)
        except SystemExit as exc:
            print(f"| {name} | – | {exc} | | | | |")
    if args.browser:
        times = first_plot(names[0], 5)
        ms = sorted(t * 1e3 for t in times)
        print(f"\nfirst plot in headless Chromium ({names[0]}): median {statistics.median(ms):.0f} ms, "
              f"min {ms[0]:.0f}, max {ms[-1]:.0f} (5 page loads, caches cleared)")  # fmt: skip


if __name__ == "__main__":
    main()
