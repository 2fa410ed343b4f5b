"""The proof-of-work check: what the widget submits is accepted once, and nothing else ever is."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import timedelta

import altcha
import pytest
import time_machine
from django.utils import timezone

from undersigned.signatures import proof_of_work

# Used solutions are marked where rate limits are counted: Redis, or else the database.
pytestmark = pytest.mark.django_db


@pytest.fixture
def quick(monkeypatch):
    """A small counter so that most tests solve in milliseconds; one test keeps the real cost."""
    monkeypatch.setattr(proof_of_work, "COUNTER_MIN", 2)
    monkeypatch.setattr(proof_of_work, "COUNTER_MAX", 5)


def solved(challenge: dict[str, object]) -> str:
    """What the widget would submit for ``challenge``: base64 JSON of the challenge and solution."""
    parsed = altcha.Challenge.from_dict(json.loads(json.dumps(challenge)))  # as sent over the wire
    solution = altcha.solve_challenge(parsed, timeout=30)
    assert solution is not None
    return altcha.Payload(parsed, solution).to_base64()


def decoded(payload: str) -> dict:
    return json.loads(base64.b64decode(payload))


def encoded(document: object) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def test_a_real_solution_is_accepted_once_and_refused_the_second_time():
    challenge = proof_of_work.new_challenge()
    payload = solved(challenge)

    assert proof_of_work.verify(payload) is True
    assert proof_of_work.verify(payload) is False


def test_the_challenge_is_json_the_widget_understands():
    challenge = json.loads(json.dumps(proof_of_work.new_challenge()))
    parameters = challenge["parameters"]

    assert parameters["algorithm"] == "PBKDF2/SHA-256"
    assert parameters["cost"] == proof_of_work.COST
    assert {"nonce", "salt", "keyPrefix", "keySignature", "expiresAt"} <= parameters.keys()
    assert 0 < parameters["expiresAt"] - time.time() <= proof_of_work.VALIDITY_SECONDS
    assert len(challenge["signature"]) == 64


def test_the_counter_to_find_lies_in_the_chosen_range():
    challenge = altcha.Challenge.from_dict(proof_of_work.new_challenge())
    solution = altcha.solve_challenge(challenge, timeout=30)

    assert proof_of_work.COUNTER_MIN <= solution.counter <= proof_of_work.COUNTER_MAX


def test_two_solutions_of_two_challenges_are_both_accepted(quick):
    first, second = solved(proof_of_work.new_challenge()), solved(proof_of_work.new_challenge())

    assert proof_of_work.verify(first) is True
    assert proof_of_work.verify(second) is True


@pytest.mark.parametrize(
    ("part", "field", "value"),
    [
        # The counter itself is not checked: the derived key proves the work and is signed.
        ("solution", "derivedKey", "00" * 32),
        ("solution", "derivedKey", "not hex"),
        ("solution", "derivedKey", None),
        ("parameters", "cost", 1),
        ("parameters", "keyPrefix", "00"),
        ("parameters", "expiresAt", 4_102_444_800),
        ("challenge", "signature", "00" * 32),
        ("challenge", "signature", None),
    ],
)
def test_an_altered_payload_is_refused(quick, part, field, value):
    document = decoded(solved(proof_of_work.new_challenge()))
    target = {
        "solution": document["solution"],
        "parameters": document["challenge"]["parameters"],
        "challenge": document["challenge"],
    }[part]
    target[field] = value

    assert proof_of_work.verify(encoded(document)) is False


def test_an_altered_payload_does_not_use_up_the_real_one(quick):
    payload = solved(proof_of_work.new_challenge())
    document = decoded(payload)
    document["solution"]["derivedKey"] = "00" * 32

    assert proof_of_work.verify(encoded(document)) is False
    assert proof_of_work.verify(payload) is True


@pytest.mark.parametrize(
    "payload",
    [
        "",
        " ",
        "garbage",
        "!!!not base64!!!",
        "e30=",  # {}
        encoded([]),
        encoded(None),
        encoded("a string"),
        encoded({"challenge": None, "solution": None}),
        encoded({"challenge": None, "solution": None, "test": True}),  # the widget's test mode
        encoded({"challenge": {"parameters": []}, "solution": {}}),
        encoded({"challenge": {"parameters": {}, "signature": "x"}, "solution": {"counter": 1}}),
        base64.b64encode(b"\xff\xfe not utf-8").decode(),
        base64.b64encode(b"[" * 100_000).decode()[: proof_of_work.MAX_PAYLOAD_LENGTH],
        encoded({"deep": json.loads("[" * 500 + "]" * 500)}),
        "A" * (proof_of_work.MAX_PAYLOAD_LENGTH + 1),
    ],
)
def test_garbage_is_refused_without_an_exception(payload):
    assert proof_of_work.verify(payload) is False


@pytest.mark.parametrize("payload", [None, b"bytes", 42, ["a"]])
def test_a_value_that_is_not_a_string_is_refused(payload):
    assert proof_of_work.verify(payload) is False


def test_a_challenge_signed_with_another_key_is_refused(quick, settings):
    real_key = settings.DATA_KEYS[0]
    settings.DATA_KEYS = [secrets.token_bytes(32)]
    foreign = solved(proof_of_work.new_challenge())
    settings.DATA_KEYS = [real_key]

    assert proof_of_work.verify(foreign) is False


def test_a_challenge_signed_with_the_raw_data_key_is_refused(quick, settings):
    """The HMAC secret is derived from the data key; the key itself must not sign anything."""
    key = settings.DATA_KEYS[0]
    challenge = altcha.create_challenge(
        proof_of_work.ALGORITHM,
        proof_of_work.COST,
        counter=3,
        expires_at=int(time.time()) + 60,
        hmac_secret=key,
        hmac_key_secret=key,
    )

    assert proof_of_work.verify(solved(challenge.to_dict())) is False


def test_a_challenge_from_before_a_key_rotation_is_still_accepted(quick, settings):
    old_key = settings.DATA_KEYS[0]
    payload = solved(proof_of_work.new_challenge())
    settings.DATA_KEYS = [secrets.token_bytes(32), old_key]

    assert proof_of_work.verify(payload) is True


def test_an_unsigned_challenge_is_refused(quick):
    challenge = altcha.create_challenge(
        proof_of_work.ALGORITHM, proof_of_work.COST, counter=3, expires_at=int(time.time()) + 60
    )

    assert proof_of_work.verify(solved(challenge.to_dict())) is False


def test_an_expired_challenge_is_refused(quick):
    with time_machine.travel(timezone.now() - timedelta(seconds=proof_of_work.VALIDITY_SECONDS + 5)):
        challenge = proof_of_work.new_challenge()
    payload = solved(challenge)

    assert proof_of_work.verify(payload) is False


def test_a_challenge_is_still_good_just_before_it_expires(quick):
    payload = solved(proof_of_work.new_challenge())

    with time_machine.travel(timezone.now() + timedelta(seconds=proof_of_work.VALIDITY_SECONDS - 5)):
        assert proof_of_work.verify(payload) is True


def test_a_challenge_without_an_expiry_is_refused_even_if_we_signed_it(quick, settings):
    signing_secret, key_secret = proof_of_work._hmac_secrets(settings.DATA_KEYS[0])
    challenge = altcha.create_challenge(
        proof_of_work.ALGORITHM,
        proof_of_work.COST,
        counter=3,
        hmac_secret=signing_secret,
        hmac_key_secret=key_secret,
    )

    assert proof_of_work.verify(solved(challenge.to_dict())) is False


def test_the_used_mark_lasts_until_the_challenge_expires(quick):
    payload = solved(proof_of_work.new_challenge())
    assert proof_of_work.verify(payload) is True

    with time_machine.travel(timezone.now() + timedelta(seconds=proof_of_work.VALIDITY_SECONDS - 5)):
        assert proof_of_work.verify(payload) is False


def unreachable_redis(settings) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    location = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = location
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}


def test_an_unavailable_redis_keeps_solutions_single_use_in_the_database(quick, settings):
    unreachable_redis(settings)
    payload = solved(proof_of_work.new_challenge())

    assert proof_of_work.verify(payload) is True
    assert proof_of_work.verify(payload) is False


def test_an_unavailable_redis_still_refuses_invalid_payloads(quick, settings):
    unreachable_redis(settings)

    assert proof_of_work.verify("garbage") is False
