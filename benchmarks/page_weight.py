"""Page weight benchmark, run by hand: what a phone downloads to open a statement and sign it.

Starts the site as production runs it (DEBUG off, ``collectstatic`` with hashed and pre-compressed
names, gunicorn) on a throwaway SQLite database with the demo data, every interface language
offered, and the proof of work required on one statement. Then, with Chromium driven over the
DevTools protocol, on a 360 px wide screen, for each front (gunicorn alone, as the one-process
deployment serves; nginx with deploy/nginx/undersigned.conf in front of it, as ``make stack`` and a
deployment run it), each of the two statements and each interface language, in a new browser
profile (empty cache):

- **first visit**: the statement page until the network is quiet;
- **form reached**: what scrolling to the sign form and clicking in its first field adds (on the
  statement that asks for the proof of work: the widget, its challenge and its worker);
- **next visit**: the same page opened again in the same profile.

Bytes are what crossed the network (``encodedDataLength`` of ``Network.loadingFinished``: headers
and the compressed body); "uncompressed" adds up the bodies as decoded (``Network.dataReceived``).

Then, with the network throttled as a slow 3G phone (``Network.emulateNetworkConditions``: 400 ms
latency, 400 kbit/s each way), the time from the start of the navigation until the sign form can
be used (the page's DOM complete, the name field visible, enabled and typed into), in English and
Arabic, and on the statement with the proof of work, the time from clicking in the form until the
widget has solved its challenge (median of ``BENCH_RUNS``).

    scripts/uv run python benchmarks/page_weight.py

Knobs: BENCH_FRONTS (gunicorn,nginx), BENCH_LANGUAGES (every interface language),
BENCH_RUNS (3 throttled runs per case), BENCH_VERBOSE (1: every request of every visit).
"""

from __future__ import annotations

import gzip
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import free_port, production_environment, stop
from stack import Nginx, gunicorn_command, site_conf, start, wait_for_health

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
STATEMENTS = {"library-opening-hours": "no proof of work", "safe-cycling-lanes": "proof of work"}
PROOF_OF_WORK_SLUG = "safe-cycling-lanes"
PHONE = {"width": 360, "height": 740}
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 / 8,
    "uploadThroughput": 400_000 / 8,
}

SETUP = f"""
from django.conf import settings
from undersigned.federation.models import Federation
from undersigned.statements.models import Statement
from undersigned.statements.services import statement_require_proof_of_work

Federation.objects.update(offered_languages=[code for code, _name in settings.LANGUAGES])
statement_require_proof_of_work(
    actor=None, statement=Statement.objects.get(slug="{PROOF_OF_WORK_SLUG}"), required=True
)
"""


@dataclass
class Traffic:
    """What one CDP session saw cross the network, per request."""

    wire: dict[str, int] = field(default_factory=dict)
    decoded: dict[str, int] = field(default_factory=dict)
    described: dict[str, str] = field(default_factory=dict)

    pending: dict[str, str] = field(default_factory=dict)
    workers_fetched: set[str] = field(default_factory=set)

    def listen(self, session: Any) -> None:
        session.on("Network.requestWillBeSent", self._sent)
        session.on("Network.responseReceived", self._response)
        session.on("Network.dataReceived", self._data)
        session.on("Network.loadingFinished", self._finished)
        session.on("Network.loadingFailed", lambda event: self.pending.pop(event["requestId"], None))

    def settle(self, page: Any, quiet_ms: int = 1000, most_ms: int = 30_000) -> None:
        """Until no request has been in flight for ``quiet_ms``: a lazy image that starts loading after
        a scroll is counted in the step that scrolled, not in the next one."""
        page.wait_for_load_state("load")
        started = quiet_since = time.monotonic()
        while (time.monotonic() - quiet_since) * 1000 < quiet_ms:
            page.wait_for_timeout(100)
            if self.pending:
                quiet_since = time.monotonic()
            if (time.monotonic() - started) * 1000 > most_ms:
                raise RuntimeError(f"still loading after {most_ms} ms: {sorted(self.pending.values())}")

    def _sent(self, event: dict[str, Any]) -> None:
        url = event["request"]["url"]
        if event.get("type") == "Script" and event.get("initiator", {}).get("type") == "other":
            # A worker's script: the page's session sees it asked for, never answered (the worker
            # is a target of its own). Fetched here as Chromium fetches it, the first time only:
            # the widget's second worker takes it from the cache.
            request_id = event["requestId"]
            path = url.split("//", 1)[-1].split("/", 1)[-1]
            wire, decoded = (0, 0) if url in self.workers_fetched else transfer_size(url)
            self.workers_fetched.add(url)
            self.wire[request_id], self.decoded[request_id] = wire, decoded
            self.described[request_id] = f"200 /{path[:90]} (a worker's script, fetched apart, gzip)"
            return
        self.pending[event["requestId"]] = url

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        encoding = {key.lower(): value for key, value in response["headers"].items()}.get("content-encoding", "")
        cached = " (cache)" if response.get("fromDiskCache") or response.get("fromMemoryCache") else ""
        path = response["url"].split("//", 1)[-1].split("/", 1)[-1]
        self.described[event["requestId"]] = f"{response['status']} /{path[:90]} {encoding}{cached}"

    def _data(self, event: dict[str, Any]) -> None:
        self.decoded[event["requestId"]] = self.decoded.get(event["requestId"], 0) + event["dataLength"]

    def _finished(self, event: dict[str, Any]) -> None:
        self.wire[event["requestId"]] = int(event["encodedDataLength"])
        self.pending.pop(event["requestId"], None)

    def mark(self) -> tuple[int, int, int]:
        return sum(self.wire.values()), sum(self.decoded.values()), len(self.wire)

    def since(self, mark: tuple[int, int, int]) -> tuple[int, int, int]:
        wire, decoded, count = self.mark()
        return wire - mark[0], decoded - mark[1], count - mark[2]

    def requests_since(self, count: int) -> list[str]:
        ids = list(self.wire)[count:]
        return [f"{self.wire[one]:>7} B  {self.described.get(one, '?')}" for one in ids]


def transfer_size(url: str) -> tuple[int, int]:
    """Bytes on the wire (status line, headers, compressed body) and the body decoded, for a GET that
    takes gzip (Chromium also takes Brotli, a few per cent smaller for a script)."""
    parts = urlsplit(url)
    client = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    try:
        client.request("GET", parts.path, headers={"Accept-Encoding": "gzip"})
        response = client.getresponse()
        body = response.read()
        headers = "".join(f"{name}: {value}\r\n" for name, value in response.getheaders())
        encoding = response.getheader("Content-Encoding", "")
    finally:
        client.close()
    decoders: dict[str, Callable[[bytes], bytes]] = {"": bytes, "gzip": gzip.decompress}
    wire = len(f"HTTP/1.1 {response.status} {response.reason}\r\n{headers}\r\n") + len(body)
    return wire, len(decoders[encoding](body))


@dataclass
class Visit:
    front: str
    slug: str
    language: str
    first: tuple[int, int, int]
    reached: tuple[int, int, int]
    again: tuple[int, int, int]


def manage(env: dict[str, str], *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, check=True)


@contextmanager
def site(directory: Path, fronts: list[str]) -> Iterator[dict[str, str]]:
    """The site on loopback: the address of each front."""
    app_port = free_port()
    nginx_port = free_port()
    env = production_environment(
        directory / "var",
        SITE_URL=f"http://127.0.0.1:{nginx_port if 'nginx' in fronts else app_port}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"sqlite:///{directory / 'site.sqlite3'}",
        TRUSTED_PROXIES="127.0.0.1",
    )
    print("migrating, loading the demo data, collecting static files…", flush=True)
    manage(env, "migrate", "--no-input", "-v", "0")
    subprocess.run(
        [sys.executable, "manage.py", "load_demo", "--allow-production"], cwd=ROOT, env=env, capture_output=True
    )
    manage(env, "shell", "-c", SETUP)
    manage(env, "collectstatic", "--no-input", "-v", "0")
    app = start(gunicorn_command(app_port, workers=2, threads=4), env)
    nginx: Nginx | None = None
    try:
        wait_for_health(app_port, [app])
        addresses = {"gunicorn": f"http://127.0.0.1:{app_port}"}
        if "nginx" in fronts:
            conf = site_conf(
                listen=f"127.0.0.1:{nginx_port}",
                app_ports=[app_port],
                static_root=directory / "var" / "static",
                cache_path=directory / "nginx" / "cache",
                server_name="127.0.0.1 localhost",
                max_conns=16,
            )
            nginx = Nginx(directory / "nginx", conf, nginx_port, processes=1)
            wait_for_health(nginx_port, [app, nginx.process])
            addresses["nginx"] = f"http://127.0.0.1:{nginx_port}"
        yield {front: addresses[front] for front in fronts}
    finally:
        if nginx is not None:
            nginx.stop()
        stop(app)


def reach_the_form(page: Any, slug: str) -> None:
    page.locator("#sign").scroll_into_view_if_needed()
    page.locator("#id_name").click()
    if slug == PROOF_OF_WORK_SLUG:
        widget_solved(page)


def widget_solved(page: Any, timeout: float = 60_000) -> None:
    page.wait_for_function(
        """() => {
            const field = document.querySelector('form[data-sign-form] input[name="altcha"]');
            return Boolean(field && field.value);
        }""",
        timeout=timeout,
    )


def weigh(browser: Any, base: str, front: str, slug: str, language: str, verbose: bool) -> Visit:
    context = browser.new_context(locale=language, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    traffic = Traffic()
    traffic.listen(session)
    url = f"{base}/statements/{slug}/"

    start_mark = traffic.mark()
    page.goto(url)
    traffic.settle(page)
    first = traffic.since(start_mark)
    reached_mark = traffic.mark()
    reach_the_form(page, slug)
    traffic.settle(page)
    reached = traffic.since(reached_mark)
    again_mark = traffic.mark()
    page.goto(url)
    traffic.settle(page)
    again = traffic.since(again_mark)
    if verbose:
        print(f"\n{front} {slug} {language}")
        print("\n".join(traffic.requests_since(0)))
    context.close()
    return Visit(front, slug, language, first, reached, again)


def usable_after(browser: Any, base: str, slug: str, language: str) -> tuple[float, float | None]:
    """Milliseconds from the start of the navigation until the sign form can be used, on a slow
    3G network; on the statement with the proof of work, also from the click in the form until
    the widget has solved its challenge."""
    context = browser.new_context(locale=language, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(120_000)
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", SLOW_3G)
    page.goto(f"{base}/statements/{slug}/", wait_until="domcontentloaded")
    name = page.locator("#id_name")
    name.wait_for(state="visible")
    name.fill("A")  # waits until the field is enabled and editable, then types
    usable = float(page.evaluate("performance.now()"))
    solved = None
    if slug == PROOF_OF_WORK_SLUG:
        page.locator("#sign").scroll_into_view_if_needed()
        clicked = time.perf_counter()
        name.click()
        widget_solved(page, timeout=120_000)
        solved = (time.perf_counter() - clicked) * 1000
    context.close()
    return usable, solved


def kb(value: int) -> str:
    return f"{value / 1000:.1f}"


def main() -> int:
    from playwright.sync_api import sync_playwright

    fronts = os.environ.get("BENCH_FRONTS", "gunicorn,nginx").split(",")
    languages = os.environ.get("BENCH_LANGUAGES", "en,es,fr,ar,fa,tl,tr,uk").split(",")
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    verbose = os.environ.get("BENCH_VERBOSE", "") == "1"
    with tempfile.TemporaryDirectory(prefix="undersigned-weight-") as name:
        directory = Path(name)
        directory.chmod(0o755)  # nginx's workers (nobody, when run as root) read the static files
        with site(directory, fronts) as addresses, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
            )
            visits = [
                weigh(browser, base, front, slug, language, verbose)
                for front, base in addresses.items()
                for slug in STATEMENTS
                for language in languages
            ]
            print("\nkB over the network (headers and compressed bodies); uncompressed bodies in brackets")
            print("| front | statement | language | first visit | form reached | next visit | requests |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            for visit in visits:
                print(
                    f"| {visit.front} | {STATEMENTS[visit.slug]} | {visit.language} "
                    f"| {kb(visit.first[0])} ({kb(visit.first[1])}) "
                    f"| {kb(visit.reached[0])} ({kb(visit.reached[1])}) "
                    f"| {kb(visit.again[0])} | {visit.first[2]} + {visit.reached[2]}, then {visit.again[2]} |"
                )
            front = "nginx" if "nginx" in addresses else fronts[0]
            print(f"\nslow 3G (400 ms, 400 kbit/s), through {front}: median of {runs} runs, ms")
            print("| statement | language | sign form usable | widget solved after the click |")
            print("| --- | --- | --- | --- |")
            for slug in STATEMENTS:
                for language in ("en", "ar"):
                    timings = [usable_after(browser, addresses[front], slug, language) for _ in range(runs)]
                    usable = statistics.median(timing[0] for timing in timings)
                    solved = [timing[1] for timing in timings if timing[1] is not None]
                    widget = f"{statistics.median(solved):.0f}" if solved else "-"
                    print(f"| {STATEMENTS[slug]} | {language} | {usable:.0f} | {widget} |", flush=True)
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
