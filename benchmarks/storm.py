"""A refresh storm on one statement, run by hand (`make storm`); its numbers go into the README.

Starts the stack of `make stack` (scripts/stack.py's helpers: PostgreSQL, Redis, nginx with
deploy/nginx/undersigned.conf in front of STORM_APP_SERVERS gunicorn servers) with the demo data,
then, in one run and one after the other through the same nginx, lets wrk hammer:

1. a static file (collected CSS): what nginx alone serves on this machine, the yardstick;
2. the statement page ``/statements/library-opening-hours/``, as anonymous visitors ask for it;
3. the statement's public API counts ``/api/v1/statements/library-opening-hours/counts``, which
   the app already marks ``Cache-Control: public, max-age=5``: what the cache does for a page
   that the app lets it keep.

Prints requests/s, p50/p99 latency and errors per target, what nginx's cache answered
(X-Cache-Status of a few probes), how many of the requests reached Django (gunicorn's access logs)
and the CPU the parts used. The aim (issue 20): the statement page at least half the static file's
rate and at least 10,000 req/s on the 2-core machine with the load generator beside it.

Why wrk: a C load generator with an event loop per thread, so the client's own cost per request is
small beside nginx's; a Python client tops out near a few thousand requests/s on one core and would
measure itself. wrk comes from Debian (`apt-get install wrk`); as root this script installs it.

    scripts/uv run python benchmarks/storm.py
    DATABASE_URL=postgres://... scripts/uv run python benchmarks/storm.py   # an existing database

Knobs: STORM_SECONDS (10 per target), STORM_CONNECTIONS (64), STORM_THREADS (2 wrk threads),
STORM_APP_SERVERS (2), STORM_APP_WORKERS (2 per server), STORM_NGINX_WORKERS (auto: one per core).
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from common import process_tree, production_environment

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("STORM_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("STORM_CONNECTIONS", "64"))
THREADS = int(os.environ.get("STORM_THREADS", "2"))
APP_SERVERS = int(os.environ.get("STORM_APP_SERVERS", "2"))
APP_WORKERS = int(os.environ.get("STORM_APP_WORKERS", "2"))
NGINX_WORKERS = os.environ.get("STORM_NGINX_WORKERS", "auto")
SLUG = "library-opening-hours"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def stack_helpers() -> Any:
    sys.path.insert(0, str(ROOT / "scripts"))
    return importlib.import_module("stack")


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], env=env, check=True)
        return shutil.which("wrk") or "/usr/bin/wrk"
    raise SystemExit("wrk is missing; run: sudo apt-get install -y wrk")


def milliseconds(value: str) -> float:
    number = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if number is None:
        raise ValueError(f"wrk printed a latency I cannot read: {value!r}")
    return float(number.group(1)) * UNITS[number.group(2)]


def wrk(url: str) -> dict[str, float]:
    output = subprocess.run(
        [
            wrk_binary(),
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--latency",
            "-H",
            "Accept-Language: en",
            "-H",
            "Accept-Encoding: gzip",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if rate is None or p50 is None or p99 is None or total is None:
        raise RuntimeError(f"wrk's output is not what this script reads:\n{output}")
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        print(f"    wrk's socket errors on {url}: {socket_errors.group(1)}")
    errors = sum(int(number) for number in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        print(f"    non-2xx/3xx answers on {url}: {non_2xx.group(1)}")
    return {
        "rate": float(rate.group(1)),
        "p50": milliseconds(p50.group(1)),
        "p99": milliseconds(p99.group(1)),
        "requests": int(total.group(1)),
        "errors": errors + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def cache_statuses(port: int, path: str, probes: int = 20) -> Counter[str]:
    seen: Counter[str] = Counter()
    for _ in range(probes):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path, headers={"Accept-Language": "en", "Accept-Encoding": "gzip"})
        response = connection.getresponse()
        response.read()
        seen[response.getheader("X-Cache-Status") or "(not cached by design)"] += 1
        connection.close()
        time.sleep(0.05)
    return seen


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for one in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def machine_busy_seconds() -> float:
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def django_requests(access_log: Path, path: str) -> int:
    if not access_log.exists():
        return 0
    return sum(1 for line in access_log.read_text().splitlines() if f" {path} " in f"{line} ")


def main() -> int:
    stack = stack_helpers()
    with contextlib.ExitStack() as resources, tempfile.TemporaryDirectory(prefix="undersigned-storm-") as name:
        directory = Path(name)
        directory.chmod(0o755)  # nginx's workers (nobody, when run as root) read the static files
        database_url = os.environ.get("DATABASE_URL") or resources.enter_context(stack.throwaway_postgres())
        redis_url = resources.enter_context(stack.throwaway_redis())
        port = stack.free_port()
        env = production_environment(
            directory / "var",
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SITE_URL=f"http://127.0.0.1:{port}",
            ALLOWED_HOSTS="127.0.0.1",
            TRUSTED_PROXIES="127.0.0.1",
        )
        manage = [sys.executable, "manage.py"]
        for command in (
            ["migrate", "--no-input", "-v", "0"],
            ["load_demo", "--allow-production"],
            ["collectstatic", "--no-input", "-v", "0"],
        ):
            subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        css = next((directory / "var" / "static" / "css").glob("site.*.css"))
        static_path = f"/static/css/{css.name}"

        access_log = directory / "access.log"
        app_ports = [stack.free_port() for _ in range(APP_SERVERS)]
        servers = [
            stack.start(stack.gunicorn_command(app_port, workers=APP_WORKERS, access_log=access_log), env)
            for app_port in app_ports
        ]
        nginx = None
        try:
            for app_port in app_ports:
                stack.wait_for_health(app_port, servers)
            site = stack.site_conf(
                listen=f"127.0.0.1:{port}",
                app_ports=app_ports,
                static_root=directory / "var" / "static",
                cache_path=directory / "nginx" / "cache",
                server_name="127.0.0.1",
            )
            nginx = stack.Nginx(directory / "nginx", site, port, processes=NGINX_WORKERS)
            stack.wait_for_health(port, [*servers, nginx.process])

            targets = {
                "static file (CSS, by nginx)": static_path,
                "statement page": f"/statements/{SLUG}/",
                "statement counts (public API)": f"/api/v1/statements/{SLUG}/counts",
            }
            print(
                f"wrk, {THREADS} threads, {CONNECTIONS} connections, {SECONDS} s per target, through nginx "
                f"({NGINX_WORKERS} worker processes) in front of {APP_SERVERS} gunicorn servers × {APP_WORKERS} "
                f"gthread workers; PostgreSQL, Redis; {os.cpu_count()} cores, load generator on the same machine"
            )
            print(f"\n  {'target':<31} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'to Django':>10}  cache")
            results = {}
            for label, path in targets.items():
                statuses = cache_statuses(port, path)
                before_log = django_requests(access_log, path)
                pids = {
                    "nginx": process_tree(nginx.process.pid),
                    "gunicorn": [pid for server in servers for pid in process_tree(server.pid)],
                }
                cpu_before = {group: cpu_seconds(pids[group]) for group in pids}
                busy_before, started = machine_busy_seconds(), time.monotonic()
                result = wrk(f"http://127.0.0.1:{port}{path}")
                wall = time.monotonic() - started
                cpu = {group: (cpu_seconds(pids[group]) - cpu_before[group]) / wall for group in pids}
                busy = (machine_busy_seconds() - busy_before) / wall
                reached = django_requests(access_log, path) - before_log
                results[label] = result
                print(
                    f"  {label:<31} {result['rate']:>9.0f} {result['p50']:>8.2f} {result['p99']:>8.2f} "
                    f"{result['errors']:>7.0f} {reached:>10}  "
                    + ", ".join(f"{status} {count}" for status, count in statuses.most_common())
                    + f"  [cores busy: nginx {cpu['nginx']:.2f}, gunicorn {cpu['gunicorn']:.2f}, "
                    f"all {busy:.2f} of {os.cpu_count()}]"
                )
            static_rate = results["static file (CSS, by nginx)"]["rate"]
            page_rate = results["statement page"]["rate"]
            print(
                f"\nstatement page: {page_rate / static_rate:.0%} of the static file's rate "
                f"(aim: at least 50% and 10,000 req/s): "
                + ("met" if page_rate >= max(static_rate / 2, 10_000) else "NOT met")
            )
            return 0
        finally:
            if nginx is not None:
                nginx.stop()
            for server in servers:
                stack.stop(server)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; the servers are stopped and the temporary directory removed", file=sys.stderr)
        sys.exit(130)
