"""core is the bottom layer: every domain may import it, and it imports none of them.

Its tests are not part of the layer (some of them drive the whole site) and are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1]


def imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """Every module ``path`` imports, at any depth (in functions, under TYPE_CHECKING), with its line;
    ``package`` is the module's own package, to resolve relative imports."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            # ``from undersigned import accounts`` imports the module undersigned.accounts.
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return found


def imports_from_above(core: Path) -> list[str]:
    """``file:line module`` for each import, in the core package at ``core``, of an undersigned
    module outside undersigned.core."""
    offences = []
    for path in sorted(core.rglob("*.py")):
        relative = path.relative_to(core)
        if relative.parts[0] == "tests":
            continue
        package = ".".join(("undersigned", "core", *relative.parent.parts))
        for line, module in imported_modules(path, package):
            if module.startswith("undersigned.") and not module.startswith("undersigned.core."):
                offences.append(f"core/{relative}:{line} {module}")
    return offences


def test_core_imports_no_other_undersigned_package():
    assert imports_from_above(CORE) == []


def test_the_check_sees_every_form_of_import(tmp_path):
    core = tmp_path / "core"
    (core / "sub").mkdir(parents=True)
    (core / "tests").mkdir()
    (core / "plain.py").write_text("import undersigned.accounts.models\nimport undersigned.core.slugs\n")
    (core / "names.py").write_text("from undersigned import federation\nfrom undersigned.core import audit\n")
    (core / "sub" / "relative.py").write_text("from ...signatures import services\nfrom .. import crypto\n")
    (core / "late.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from undersigned.statements.models import Statement\n"
        "def f():\n    from undersigned.ledger.services import record_event\n"
    )
    (core / "tests" / "test_site.py").write_text("from undersigned.signatures.tests.conftest import sign\n")
    assert imports_from_above(core) == [
        "core/late.py:3 undersigned.statements.models.Statement",
        "core/late.py:5 undersigned.ledger.services.record_event",
        "core/names.py:1 undersigned.federation",
        "core/plain.py:1 undersigned.accounts.models",
        "core/sub/relative.py:1 undersigned.signatures.services",
    ]
