"""Counted exactly once under real concurrency, on PostgreSQL (SQLite serialises its writers).

Each test commits its data (``transaction=True``) and runs the services, or the whole HTTP stack,
in real threads with their own database connections.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from undersigned.core.exceptions import DomainError
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_confirm
from undersigned.signatures.tallies import tally_differences, tally_for_statement
from undersigned.signatures.tests.conftest import OpenStatement, form_data, sign, signature_of
from undersigned.signatures.tokens import SignatureRef, confirm_token

pytestmark = pytest.mark.django_db(transaction=True)

CONNECTIONS = 50
COUNTRIES = ["GB", "FR", "DE", "BR", "IN", "KE", "US"]
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL: SQLite takes one writer at a time, so it proves nothing")


@pytest.fixture
def wide_pool() -> Iterator[None]:
    """A connection pool with room for every thread, so that all of them really hold a transaction
    at once instead of queueing for the production pool's few connections."""
    options = connection.settings_dict["OPTIONS"]
    production = options.get("pool")
    connections.close_all()
    connection.close_pool()  # type: ignore[attr-defined]
    # One more for the test's own thread, which keeps its connection while the others run.
    options["pool"] = {**(production or {}), "min_size": 1, "max_size": CONNECTIONS + 1, "timeout": 30}
    try:
        yield
    finally:
        connections.close_all()
        connection.close_pool()  # type: ignore[attr-defined]
        options["pool"] = production


def in_thread(work: Callable[..., T]) -> Callable[..., T]:
    """``work`` with its thread's database connection handed back when it ends."""

    def run(*args: Any) -> T:
        try:
            return work(*args)
        finally:
            connections.close_all()

    return run


def fresh_tally(target: OpenStatement):
    cache.clear()
    return tally_for_statement(target.statement.pk)


def test_fifty_concurrent_confirmations_count_once(open_statement, wide_pool):
    signature = sign(open_statement, email="ada@example.org")
    before = fresh_tally(open_statement)
    barrier = threading.Barrier(CONNECTIONS, timeout=30)
    outcomes: list[object] = []

    @in_thread
    def confirm() -> None:
        connection.ensure_connection()  # every thread holds a connection before any confirms
        barrier.wait()
        try:
            confirmed = signature_confirm(signature_id=signature.pk, statement_id=open_statement.statement.pk)
            outcomes.append(confirmed.status)
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            outcomes.append(error)

    threads = [threading.Thread(target=confirm) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == [Signature.Status.CONFIRMED] * CONNECTIONS
    after = fresh_tally(open_statement)
    assert after.total == before.total + 1
    assert after.by_country == {"GB": 1}
    assert tally_differences() == []


def test_two_hundred_concurrent_signers_are_all_counted(open_statement, wide_pool):
    signers = [(f"signer{number}@example.org", COUNTRIES[number % len(COUNTRIES)]) for number in range(200)]

    @in_thread
    def sign_and_confirm(email: str, country: str) -> str:
        return sign(open_statement, email=email, name=letter_name(email), country=country, confirm=True).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(sign_and_confirm, *zip(*signers, strict=True)))

    assert statuses == [Signature.Status.CONFIRMED] * 200
    tally = fresh_tally(open_statement)
    assert tally.total == 200
    assert tally.by_country == dict(Counter(country for _, country in signers))
    assert tally_differences() == []
    call_command("verify_tally", verbosity=0)


def letter_name(email: str) -> str:
    """A name of its own for each address: its digits written as letters."""
    return "Signer " + "".join(chr(ord("a") + int(c)) if c.isdigit() else c for c in email.split("@")[0]).title()


def test_two_hundred_concurrent_signers_through_the_pages_are_all_counted(open_statement, wide_pool):
    # Each signer from a network of their own, with a name of their own, as in the field: many
    # signatures from one network or under one name are fraud signals.
    signers = [(f"reader{number}@example.org", COUNTRIES[number % len(COUNTRIES)]) for number in range(200)]
    revision = open_statement.revision

    @in_thread
    def sign_and_confirm(email: str, country: str) -> tuple[int, int]:
        browser = Client(REMOTE_ADDR=f"10.{len(email)}.{int(email[6:].split('@')[0])}.1")
        data = form_data(revision, email=email, country=country, name=letter_name(email))
        signed = browser.post(open_statement.sign_url, data)
        signature = signature_of(open_statement.statement, email)
        link = confirm_token(SignatureRef(signature_id=signature.pk, statement_id=open_statement.statement.pk))
        confirmed = browser.post(f"/signatures/confirm/{link}/")
        return signed.status_code, confirmed.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(sign_and_confirm, *zip(*signers, strict=True)))

    assert answers == [(200, 302)] * 200
    tally = fresh_tally(open_statement)
    assert tally.total == 200
    assert tally.by_country == dict(Counter(country for _, country in signers))
    call_command("verify_tally", verbosity=0)


def test_confirming_while_withdrawing_leaves_the_count_right(open_statement, wide_pool):
    from undersigned.signatures.services import signature_withdraw

    signatures = [
        sign(open_statement, email=f"both{number}@example.org", name=letter_name(f"both{number}@example.org"))
        for number in range(20)
    ]
    barrier = threading.Barrier(2 * len(signatures), timeout=30)
    errors: list[Exception] = []

    @in_thread
    def act(signature: Signature, withdraw: bool) -> None:
        connection.ensure_connection()
        barrier.wait()
        try:
            if withdraw:
                signature_withdraw(signature_id=signature.pk, statement_id=open_statement.statement.pk)
            else:
                signature_confirm(signature_id=signature.pk, statement_id=open_statement.statement.pk)
        except DomainError:
            pass  # confirming a signature withdrawn a moment earlier: a 410 for the signer
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    threads = [
        threading.Thread(target=act, args=(signature, withdraw))
        for signature in signatures
        for withdraw in (False, True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Signature.objects.filter(statement=open_statement.statement, status="withdrawn").count() == 20
    assert fresh_tally(open_statement).total == 0
    assert tally_differences() == []
