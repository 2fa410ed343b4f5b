"""The metrics each process measures itself: how long requests take, by view, and how many
signatures were accepted, by statement. Everything else /metrics shows is read from the database
when it is scraped (``monitoring.collectors``), and is the same whichever process answers.

Several processes serve one app server (gunicorn's workers). With ``PROMETHEUS_MULTIPROC_DIR`` set
(``settings.METRICS_MULTIPROCESS_DIR``), prometheus_client keeps each process's values in a file of
that directory and the scrape adds up every file, dead workers' included, so a counter never goes
back when a worker is replaced. Without it the values are the answering process's own: right for
one process (``runserver``, ``make demo``), and a different figure per worker otherwise.

Labels stay few: the view is the route's name, never the path; the statement is its slug, one per
statement; the method is one of a fixed set.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.multiprocess import MultiProcessCollector

# A counter's "_created" series (when the process made it) doubles the series and tells nothing a
# reset does not.
disable_created_metrics()
# Not prometheus_client's global registry: nothing a library registers there is exposed by accident.
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_DURATION = Histogram(
    "undersigned_request_duration_seconds",
    "Time from the request's arrival at the application to its answer (not the streaming of a body), by view.",
    ["view", "method"],
    # Pages answer in milliseconds; exports and staff pages may take seconds.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=PROCESS_REGISTRY,
)

SIGNATURES_ACCEPTED = Counter(
    "undersigned_signatures_accepted",
    "Signatures accepted and waiting for their confirmation link (a new one, or one withdrawn and signed again), "
    "counted by the processes of this app server since they started.",
    ["statement"],
    registry=PROCESS_REGISTRY,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str | None) -> str:
    """The request's method, or "other": a client may send any word as its method."""
    return method if method in METHODS else "other"


def process_metrics(directory: str | None) -> CollectorRegistry:
    """A registry of the per-process metrics: every process's from the files in ``directory``, or
    this process's own without one."""
    if directory is None:
        return PROCESS_REGISTRY
    registry = CollectorRegistry(auto_describe=True)
    MultiProcessCollector(registry, path=directory)
    return registry
