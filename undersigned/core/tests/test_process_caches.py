"""Every cache a process keeps in its own memory is listed in core.process_caches, with its rule."""

from __future__ import annotations

import ast
import functools
import importlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import undersigned
from undersigned.core import process_caches

ROOT = Path(undersigned.__file__).resolve().parent
CACHING_DECORATORS = {"cache", "lru_cache", "functools.cache", "functools.lru_cache"}
# Calls that change a container in place; ``x[key] = value`` and ``x.attr = value`` are caught too.
MUTATING_METHODS = {
    "add",
    "append",
    "appendleft",
    "clear",
    "discard",
    "extend",
    "insert",
    "move_to_end",
    "pop",
    "popitem",
    "remove",
    "setdefault",
    "update",
}


def source_modules() -> Iterator[tuple[str, Path]]:
    """The project's modules but tests, migrations and the list of caches itself, by name and file."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(("undersigned", *parts))
        if name != process_caches.__name__:
            yield name, path


def caches_in_source(tree: ast.Module) -> set[str]:
    """Names of what looks like a process-local cache: a function with a caching decorator, a
    module-level name that a function reassigns (``global``) or changes in place."""
    module_names = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            module_names |= {target.id for target in statement.targets if isinstance(target, ast.Name)}
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            module_names.add(statement.target.id)
    found = set()

    def visit(node: ast.AST, qualified: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{qualified}.{child.name}" if qualified else child.name
                decorators = [ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in child.decorator_list]
                if CACHING_DECORATORS.intersection(decorators):
                    found.add(name)
                visit(child, f"{name}.<locals>" if not isinstance(child, ast.ClassDef) else name)
            else:
                visit(child, qualified)

    visit(tree, "")
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Global):
                found |= set(node.names)
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign | ast.Delete):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in MUTATING_METHODS:
                    targets = [node.func]
            for target in targets:
                if isinstance(target, ast.Subscript | ast.Attribute) and isinstance(target.value, ast.Name):
                    if target.value.id in module_names:
                        found.add(target.value.id)
    return found


def caches_at_run_time(module_name: str) -> set[str]:
    """Memoised functions and thread-local stores defined in the imported module."""
    module = importlib.import_module(module_name)
    found = set()
    for name, value in vars(module).items():
        if isinstance(value, functools._lru_cache_wrapper) and value.__module__ == module_name:
            found.add(value.__wrapped__.__qualname__)
        if isinstance(value, threading.local):
            found.add(name)
    return found


def import_every_module() -> list[tuple[str, Path]]:
    """Imports every source module, so that every cache is registered."""
    modules = list(source_modules())
    for name, _path in modules:
        importlib.import_module(name)
    return modules


def unregistered_caches() -> list[str]:
    modules = import_every_module()
    registered = {(cache.module, cache.attribute) for cache in process_caches.registered()}
    missing = []
    for name, path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for attribute in sorted(caches_in_source(tree) | caches_at_run_time(name)):
            if (name, attribute) not in registered:
                missing.append(f"{name}.{attribute}")
    return missing


def test_every_process_local_cache_is_registered_with_its_rule():
    assert unregistered_caches() == []


def test_the_list_of_caches_is_complete_today():
    # What the search above finds today; a cache added later is listed by registering it.
    import_every_module()
    assert {cache.name: cache.rule.split(":")[0] for cache in process_caches.registered()} == {
        "api.documentation._schema": "never stale",
        "core.country_names._cldr_territories": "never stale",
        "core.crypto._fernet": "never stale",
        "core.languages._all_content_language_choices": "never stale",
        "core.languages._locale": "never stale",
        "core.languages.content_language_codes": "never stale",
        "core.languages.language_direction": "never stale",
        "core.languages.native_language_name": "never stale",
        "core.db_routing._health": "at most 5 s stale",
        "core.network._geoip_reader": "never stale",
        "federation.selectors._checked_identity": "at most 1 s stale",
        "ledger.services._scheduled_window": "never stale",
        "notifications.services._worker_connection": "never stale",
        "privacy.apps.CHAIN": "never stale",
        "signatures.fraud._disposable_domains": "never stale",
        "sealing.selectors._trustee_keys": "at most 5 s stale",
        "statements.selectors._revisions": "never stale",
        "signatures.views._SIGN_FORMS": "never stale",
        "statements.datelines.day_comes_first": "never stale",
        "statements.datelines.month_numbers": "never stale",
        "statements.rendering._REVISION_HTML": "never stale",
        "statements.rendering._markdown": "never stale",
        "statements.selectors._reading_cache": "at most 5 s stale",
        "statements.share_image._font": "never stale",
        "statements.share_image.installed_faces": "never stale",
        "tasks_sweep.apps.CHAIN": "never stale",
    }


def test_the_search_finds_each_kind_of_cache():
    source = """
import functools, threading
from functools import cache, lru_cache

LIMITS = {"a": 1}
_seen = {}
_forms = {}
_last = 0.0
_local = threading.local()
_constant_list = [1, 2]

def read(key):
    global _last
    _last = 1.0
    _seen[key] = 1
    _forms.pop(key, None)
    _local.connection = None
    return LIMITS[key] + len(_constant_list)

@lru_cache(maxsize=4)
def parsed(text): ...

@functools.cache
def loaded(): ...

class Reader:
    @cache
    def table(self): ...
"""
    assert caches_in_source(ast.parse(source)) == {
        "_last",
        "_seen",
        "_forms",
        "_local",
        "parsed",
        "loaded",
        "Reader.table",
    }


def test_clearing_all_empties_every_cache_that_holds_entries(client, libraries):
    from undersigned.statements.tests.builders import published_statement

    statement = published_statement(libraries)
    client.get(f"/statements/{statement.slug}/")  # reads the statement, renders its form and its text
    import_every_module()
    filled = [cache.name for cache in process_caches.registered() if size_of(cache) > 0]
    assert {"statements.selectors._reading_cache", "signatures.views._SIGN_FORMS"} <= set(filled)

    process_caches.clear_all()
    assert {cache.name: size_of(cache) for cache in process_caches.registered() if size_of(cache) > 0} == {}


def size_of(cache: process_caches.ProcessCache) -> int:
    held = getattr(importlib.import_module(cache.module), cache.attribute.split(".")[0])
    if isinstance(held, functools._lru_cache_wrapper):
        return held.cache_info().currsize
    if isinstance(held, dict):
        return len(held)
    return 0


def test_a_cache_of_changing_data_may_not_be_stale_for_long():
    with pytest.raises(ValueError, match="at most 5 s stale"):
        process_caches.register(__name__, "ROOT", clear=lambda: None, stale_seconds=60)
    with pytest.raises(ValueError, match="not both"):
        process_caches.register(__name__, "ROOT", clear=lambda: None)
    with pytest.raises(ValueError, match="after defining it"):
        process_caches.register(__name__, "_nothing_here", clear=lambda: None, never_stale="keyed by nothing")
