"""The sealing tests' statement: the signature tests' ``open_statement``, whose issuing body has a
trustee whose identity the test keeps."""

from __future__ import annotations

import pytest

from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement


@pytest.fixture
def open_statement(libraries) -> OpenStatement:
    return build_open_statement(libraries)
