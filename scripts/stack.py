"""`make stack`: the site as a busy deployment runs it, on loopback, until Ctrl-C.

PostgreSQL (a throwaway cluster, or DATABASE_URL), Redis (a throwaway server, or REDIS_URL), two
or more gunicorn app servers behind nginx (load balancer, static files, a few seconds' cache; its
file is deploy/nginx/undersigned.conf, the one a deployment uses), the background workers
(``manage.py db_worker``) and an SMTP server on loopback that keeps every mail as a file. The
database is migrated and given the neutral demo data. Ctrl-C (or SIGTERM) stops everything this
script started and removes its temporary directory; the mails stay in var/stack-mail/ until the
next start.

The throwaway PostgreSQL and Redis come from scripts/run_tests.py, as in `make test`.
Knobs: STACK_PORT (nginx, 8080; a free port when taken), STACK_APP_SERVERS (2),
STACK_APP_WORKERS (2 gunicorn worker processes per server), STACK_APP_THREADS (4 threads each),
STACK_DB_WORKERS (1).

The helpers (``site_conf``, ``Nginx``, ``gunicorn_command``…) are also used by the two-server test
(config/tests/test_stack.py) and benchmarks/storm.py, so all three run the same nginx file.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_tests import free_port, throwaway_postgres, throwaway_redis  # noqa: E402

SITE_CONF = ROOT / "deploy" / "nginx" / "undersigned.conf"
MAIL_DIR = ROOT / "var" / "stack-mail"
MARKER = re.compile(r"@([A-Z_]+)@")


# --- nginx ---------------------------------------------------------------------------------------


def fill(template: Path, values: dict[str, str]) -> str:
    """One of deploy/nginx/'s files with its @NAME@ markers filled in from ``values``."""
    # Only the lines of the file, not its comments, carry markers to fill.
    lines = [
        line if line.lstrip().startswith("#") else MARKER.sub(lambda match: values[match.group(1)], line)
        for line in template.read_text().splitlines()
    ]
    return "\n".join(lines) + "\n"


def site_conf(
    *,
    listen: str,
    app_ports: list[int],
    static_root: Path,
    cache_path: Path,
    server_name: str,
    max_conns: int = 0,
    tls: str = "",
) -> str:
    """deploy/nginx/undersigned.conf with its markers filled in.

    ``max_conns``: requests in flight to each app server before nginx answers 503 at once (0: no
    bound). ``tls``: the lines that turn TLS on, e.g. ``include /path/undersigned-tls.conf;``.
    """
    bound = f" max_conns={max_conns}" if max_conns else ""
    values = {
        "LISTEN": listen,
        "APP_SERVERS": "\n    ".join(
            f"server 127.0.0.1:{port}{bound} max_fails=3 fail_timeout=5s;" for port in app_ports
        ),
        "STATIC_ROOT": f"{str(static_root).rstrip('/')}/",
        "CACHE_PATH": str(cache_path),
        "SERVER_NAME": server_name,
        "TLS": tls,
    }
    return fill(SITE_CONF, values)


def nginx_binary() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise SystemExit("nginx is missing; run: sudo apt-get install -y nginx")
    return binary


class Nginx:
    """nginx in the foreground, with everything it writes under ``directory``: the main file here
    is only what Debian's /etc/nginx/nginx.conf would hold; the site is deploy/nginx/undersigned.conf."""

    def __init__(self, directory: Path, site: str, port: int, *, processes: int | str = "auto") -> None:
        self.directory, self.port = directory, port
        for sub in ("cache", "client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        user = ""
        if os.geteuid() == 0:
            # As root the master drops its workers to nobody: they write the cache and temporary files
            # and read the static files, so those must be theirs or readable by all.
            account = pwd.getpwnam("nobody")
            user = f"user nobody {'nogroup' if _group_exists('nogroup') else 'nobody'};"
            for sub in ("cache", "client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                os.chown(directory / sub, account.pw_uid, account.pw_gid)
        (directory / "undersigned.conf").write_text(site)
        (directory / "nginx.conf").write_text(
            f"""{user}
worker_processes {processes};
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/undersigned.conf;
}}
"""
        )
        command = [nginx_binary(), "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", "stderr"]
        check = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise SystemExit(f"nginx refuses its configuration:\n{check.stderr}")
        self.process = subprocess.Popen(command, start_new_session=True)

    def stop(self) -> None:
        stop(self.process)


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


# --- app servers and workers ----------------------------------------------------------------------


def gunicorn_command(port: int, *, workers: int = 2, threads: int = 4, access_log: Path | None = None) -> list[str]:
    # gthread workers keep nginx's upstream connections alive between requests (sync workers close each).
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
    ]
    if access_log is not None:
        command += ["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"]
    return command


def start(command: list[str], env: dict[str, str], **options: Any) -> subprocess.Popen[bytes]:
    # A session of its own: Ctrl-C reaches this script only, which stops the children in order.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **options)


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_health(port: int, processes: list[subprocess.Popen[Any]], seconds: float = 60) -> None:
    """Until http://127.0.0.1:port/healthz answers 200; stops early if one of ``processes`` exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered /healthz on port {port} within {seconds:.0f} s")


# --- the mail sink --------------------------------------------------------------------------------


class MailFiles:
    """aiosmtpd's handler: each mail becomes a file in ``directory``, and a line on the console."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.count += 1
            number = self.count
        path = self.directory / f"{number:05d}.eml"
        path.write_bytes(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        print(f"  mail {path.name} to {', '.join(envelope.rcpt_tos)}: {message['Subject']}", flush=True)
        return "250 Message accepted for delivery"


# --- make stack -----------------------------------------------------------------------------------


def _nginx_port() -> int:
    wanted = int(os.environ.get("STACK_PORT", "8080"))
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", wanted))
        except OSError:
            port = free_port()
            print(f"port {wanted} is taken; nginx listens on {port} instead (STACK_PORT chooses)")
            return port
    return wanted


def _keys() -> dict[str, str]:
    """The same keys at every start, so a DATABASE_URL kept between runs stays readable."""
    if os.environ.get("SECRET_KEY") and os.environ.get("DATA_KEYS") and os.environ.get("LOG_KEY"):
        return {name: os.environ[name] for name in ("SECRET_KEY", "DATA_KEYS", "LOG_KEY")}
    sys.path.insert(0, str(ROOT))
    from config.environment import development_keys

    (ROOT / "var").mkdir(exist_ok=True)
    return development_keys(ROOT / "var" / "stack-keys.json", log_key_name="stack.undersigned.invalid/log")


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    # Ctrl-C stops the stack even when started from a shell that had the interrupt ignored (a
    # background job): this script is what stops the children, which have sessions of their own.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from aiosmtpd.controller import Controller

    servers = int(os.environ.get("STACK_APP_SERVERS", "2"))
    app_workers = int(os.environ.get("STACK_APP_WORKERS", "2"))
    app_threads = int(os.environ.get("STACK_APP_THREADS", "4"))
    db_workers = int(os.environ.get("STACK_DB_WORKERS", "1"))
    processes: list[subprocess.Popen[Any]] = []
    nginx: Nginx | None = None
    smtp: Any = None
    status = 0
    with contextlib.ExitStack() as stack:
        try:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="undersigned-stack-")))
            directory.chmod(0o755)  # nginx's workers (nobody, when run as root) read the static files
            database_url = os.environ.get("DATABASE_URL") or stack.enter_context(throwaway_postgres())
            redis_url = os.environ.get("REDIS_URL") or stack.enter_context(throwaway_redis())
            port, smtp_port = _nginx_port(), free_port()
            site_url = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                **_keys(),
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DEBUG": "false",
                "SITE_URL": site_url,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                # nginx on loopback is the proxy whose X-Forwarded-For is believed.
                "TRUSTED_PROXIES": "127.0.0.1",
                "VAR_DIR": str(directory / "var"),
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            }
            manage = [sys.executable, "manage.py"]
            print("migrating, loading the demo data, collecting static files…", flush=True)
            subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
            demo = subprocess.run(
                [*manage, "load_demo", "--allow-production"], cwd=ROOT, env=env, text=True, capture_output=True
            )
            print(demo.stdout + demo.stderr if demo.returncode == 0 else "the demo data is already there (kept)")
            subprocess.run([*manage, "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)

            shutil.rmtree(MAIL_DIR, ignore_errors=True)
            MAIL_DIR.mkdir(parents=True)
            smtp = Controller(MailFiles(MAIL_DIR), hostname="127.0.0.1", port=smtp_port)
            smtp.start()

            app_ports = [free_port() for _ in range(servers)]
            for app_port in app_ports:
                # Each server's workers add up their request timings in a directory of its own (/metrics).
                metrics_dir = directory / f"metrics-{app_port}"
                metrics_dir.mkdir()
                server_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
                processes.append(
                    start(gunicorn_command(app_port, workers=app_workers, threads=app_threads), server_env)
                )
            for _ in range(db_workers):
                processes.append(start([*manage, "db_worker", "--no-reload", "--verbosity", "0"], env))
            for app_port in app_ports:
                wait_for_health(app_port, processes)
            conf = site_conf(
                listen=f"127.0.0.1:{port}",
                app_ports=app_ports,
                static_root=directory / "var" / "static",
                cache_path=directory / "nginx" / "cache",
                server_name="127.0.0.1 localhost",
                # Twice what each server answers at once: beyond that nginx answers 503 at once.
                max_conns=2 * app_workers * app_threads,
            )
            nginx = Nginx(directory / "nginx", conf, port)
            wait_for_health(port, [*processes, nginx.process])

            print(
                f"""
Undersigned is running (Ctrl-C stops everything below):
  site            {site_url}/   (nginx: load balancer, static files, cache; X-Cache-Status says HIT or MISS)
  app servers     {", ".join(f"http://127.0.0.1:{app_port}/" for app_port in app_ports)}
                  (gunicorn, {app_workers} workers × {app_threads} threads each; /metrics on each)
  workers         {db_workers} × manage.py db_worker
  PostgreSQL      {database_url}
  Redis           {redis_url}
  SMTP            127.0.0.1:{smtp_port}; every mail is kept as a file in {MAIL_DIR}/
  nginx file      {directory / "nginx" / "undersigned.conf"} (from deploy/nginx/undersigned.conf)
""",
                flush=True,
            )
            while True:
                exited = [process for process in [*processes, nginx.process] if process.poll() is not None]
                if exited:
                    print(f"{exited[0].args!r} exited with status {exited[0].returncode}; stopping", file=sys.stderr)
                    status = 1
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nstopping…", flush=True)
        finally:
            # A second Ctrl-C must not cut the clean-up short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            if nginx is not None:
                nginx.stop()
            for process in reversed(processes):
                stop(process)
            if smtp is not None:
                smtp.stop()
    print("stopped: nginx, the app servers, the workers, SMTP, and Redis and PostgreSQL when started here")
    return status


if __name__ == "__main__":
    sys.exit(main())
