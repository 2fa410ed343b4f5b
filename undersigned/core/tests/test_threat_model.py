"""docs/threat-model.md names, for each control, the test that proves it. Every test it names must
exist, so that the document cannot keep pointing at a test that was renamed or removed."""

from __future__ import annotations

import re

from undersigned.testing import ROOT

REFERENCE = re.compile(r"`(undersigned/[\w/]+\.py)(?:::(test_\w+))?`((?:, `::test_\w+`)*)")


def test_every_test_the_threat_model_names_exists():
    text = (ROOT / "docs" / "threat-model.md").read_text(encoding="utf-8")
    references = REFERENCE.findall(text)
    assert len(references) > 30
    missing = []
    for path, first, more in references:
        source = ROOT / path
        if not source.is_file():
            missing.append(path)
            continue
        names = [first, *re.findall(r"::(test_\w+)", more)]
        code = source.read_text(encoding="utf-8")
        missing += [f"{path}::{name}" for name in names if name and f"def {name}(" not in code]
    assert not missing, missing
