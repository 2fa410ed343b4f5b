"""A small proof of work (ALTCHA) asked of a signer's browser before a signature is taken.

Why: signing is public and anonymous until the address is confirmed, so a script could flood a
statement with junk signatures. Making each submission cost a fraction of a second of CPU is
invisible to a person and expensive at scale, and it needs no third party: the challenge is made
and checked here, the widget is served from our own static files, nothing tracks the signer.

Protocol: ALTCHA proof of work v2, as spoken by the vendored widget (``static/vendor/altcha/``,
altcha 3.x). The widget fetches ``new_challenge()`` as JSON, finds the counter whose PBKDF2 key
starts with the signed prefix, and submits base64 JSON ``{"challenge": …, "solution": …}`` in the
form field ``altcha``; ``verify()`` checks that string.

It is a deterrent, not a wall: see docs/decisions/0004-proof-of-work.md for what happens when a
browser runs no JavaScript.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time

import altcha
from django.conf import settings

from undersigned.core.single_use import first_use

logger = logging.getLogger(__name__)

#: A challenge must be solved and submitted within this time; long enough to fill in the form
#: after the widget has solved, short enough that a stockpile of solutions goes stale.
VALIDITY_SECONDS = 10 * 60

ALGORITHM = "PBKDF2/SHA-256"
#: PBKDF2 iterations per attempt. Above ~1,000 the fixed cost of a WebCrypto call (~0.06 ms)
#: is negligible, so the work is what we ask for and nothing else.
COST = 5_000
#: Deterministic effort: the server picks the counter the browser has to reach, so every solve
#: takes about the same time instead of a lottery with a long tail (a prefix like "00" needs on
#: average 256 tries but 1 signer in 100 would need 1,200). Work = counter x COST =
#: 1.0 to 2.0 million PBKDF2-SHA-256 iterations (1.5 million on average). Measured: headless
#: Chromium does ~3 million iterations a second per x86 server core through WebCrypto, and the
#: widget spreads the counters over up to 4 workers on a phone. Estimated, not measured on a
#: phone: a recent one (4+ cores at 1-3 million/s each) should solve in 0.1-0.5 s, an old, slow
#: one (4 cores at ~0.6 million/s) in about 0.4-0.9 s. A script that wants a thousand signatures
#: pays ~25 CPU-minutes.
COUNTER_MIN = 200
COUNTER_MAX = 400
#: A real payload is ~700 characters; anything much longer is not worth base64-decoding.
MAX_PAYLOAD_LENGTH = 4_096

_USED_KEY_PREFIX = "proof-of-work:used:"


def _hmac_secrets(data_key: bytes) -> tuple[bytes, bytes]:
    """The two HMAC secrets for one data key: one signs the challenge, one signs the expected key.

    Derived, never the data key itself, so that nothing else done with ``DATA_KEYS`` (keyed hashes,
    encrypted records) shares a key with a value any browser can see signed.
    """
    return (
        hmac.new(data_key, b"altcha", hashlib.sha256).digest(),
        hmac.new(data_key, b"altcha-derived-key", hashlib.sha256).digest(),
    )


def new_challenge() -> dict[str, object]:
    """A signed challenge, valid for ``VALIDITY_SECONDS``, as the widget expects it from its URL.

    Shape: ``{"parameters": {"algorithm", "cost", "keyLength", "keyPrefix", "keySignature",
    "nonce", "salt", "expiresAt"}, "signature": "<hex>"}``; serve it as ``application/json``.
    """
    signing_secret, key_secret = _hmac_secrets(settings.DATA_KEYS[0])
    counter = COUNTER_MIN + secrets.randbelow(COUNTER_MAX - COUNTER_MIN + 1)
    challenge = altcha.create_challenge(
        ALGORITHM,
        COST,
        counter=counter,
        expires_at=int(time.time()) + VALIDITY_SECONDS,
        hmac_secret=signing_secret,
        hmac_key_secret=key_secret,
    )
    return challenge.to_dict()


def verify(payload: str) -> bool:
    """True once for a valid, unexpired solution of one of our challenges; False for anything else.

    Never raises: the answer decides whether a signature is trusted, and a malformed or hostile
    field must not turn a signer's submission into a server error. A payload is accepted only
    once (remembered in the cache until its challenge expires) so one solve cannot be replayed
    for many signatures. Challenges signed under any of ``DATA_KEYS`` are accepted, so rotating
    the first key does not fail the forms that are open at that moment.
    """
    if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD_LENGTH:
        return False
    try:
        parsed = altcha.Payload.from_base64(payload)
        expires_at = parsed.challenge.parameters.expires_at
        signature = parsed.challenge.signature
        if not isinstance(expires_at, int) or not isinstance(signature, str):
            return False  # every challenge we make carries both
        if not any(_solution_valid(payload, key) for key in settings.DATA_KEYS):
            return False
    except Exception:  # garbage of every shape: bad base64, JSON, types, nesting
        return False
    return _first_use(signature, expires_at)


def _solution_valid(payload: str, data_key: bytes) -> bool:
    signing_secret, key_secret = _hmac_secrets(data_key)
    result = altcha.verify_solution(payload, signing_secret, hmac_key_secret=key_secret)
    return result.verified


def _first_use(signature: str, expires_at: int) -> bool:
    """Marks the challenge used; False if it already was.

    The mark is kept in the database, shared by every process, whatever the cache: a mark only
    in Redis would be lost in an outage and let the answer be replayed. It is written atomically,
    so two requests racing with the same payload cannot both win.
    """
    ttl = max(1, math.ceil(expires_at - time.time()) + 1)
    return first_use(_USED_KEY_PREFIX + signature[:64], ttl_seconds=ttl)
