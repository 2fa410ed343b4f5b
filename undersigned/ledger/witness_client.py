"""Asking a transparency log witness to cosign a checkpoint (C2SP ``tlog-witness``, add-checkpoint),
and checking the cosignature it returns (C2SP ``tlog-cosignature`` v1, Ed25519, type 0x04).

Nothing of Django here: the caller (the log's sealing) decides which witnesses to ask, with which
old size, and what to do with a conflict or a refusal. A refusal is news, not noise: a witness that
will not cosign may have seen another view of the log.
"""

from __future__ import annotations

import base64
import http.client
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from undersigned.ledger import tlog

MAX_PROOF_LINES = 63
SIZE_MEDIA_TYPE = "text/x.tlog.size"
# A witness answers with a few signature lines (or a size, or a short reason); more is not a witness.
MAX_RESPONSE_BYTES = 64 * 1024


class WitnessError(Exception):
    """Anything that kept a witness from cosigning; ``url`` is its add-checkpoint address."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url


class WitnessConflictError(WitnessError):
    """409: the witness's latest cosigned checkpoint is not of the old size sent. ``known_size`` is
    that checkpoint's size; retry with a consistency proof from it."""

    def __init__(self, known_size: int, *, url: str) -> None:
        super().__init__(f"the witness last cosigned a tree of {known_size}", url=url)
        self.known_size = known_size


class WitnessRefusedError(WitnessError):
    """A 4xx other than 409: the witness will not cosign this request. ``status`` says why: 400 a
    malformed request, 403 no valid signature of a key it trusts for the origin, 404 an origin it does
    not know, 422 a consistency proof that does not verify (or another root for a size it cosigned).
    ``text`` is the start of the witness's own explanation."""

    def __init__(self, status: int, text: str, *, url: str) -> None:
        super().__init__(f"refused with {status}: {text}", url=url)
        self.status = status
        self.text = text


class WitnessUnreachableError(WitnessError):
    """No answer: the connection failed or timed out, or the witness failed (5xx, then ``status``
    is set). Worth retrying later; says nothing about the log."""

    def __init__(self, reason: str, *, url: str, status: int | None = None) -> None:
        super().__init__(reason, url=url)
        self.reason = reason
        self.status = status


class WitnessProtocolError(WitnessError):
    """An answer add-checkpoint does not allow: a 200 without signature lines, a 409 without a size,
    a redirect or another status."""


class InvalidCosignatureError(Exception):
    """The witness's answer holds no cosignature from its key over this checkpoint that verifies.
    ``witness`` is the key's name."""

    def __init__(self, message: str, *, witness: str) -> None:
        super().__init__(f"{witness}: {message}")
        self.witness = witness


def add_checkpoint(
    url: str, *, old_size: int, consistency_proof: Sequence[bytes], checkpoint_note: bytes, timeout: float
) -> list[str]:
    """POSTs ``<url>/add-checkpoint`` and returns the witness's signature lines (each ``— name
    base64``, without its newline), unverified: check them with ``verify_cosignatures``.

    ``old_size`` is the size of the latest checkpoint this witness cosigned for the log (0 if none
    or unknown; a conflict then says), ``consistency_proof`` the RFC 6962 proof from that size to
    the checkpoint's (empty from 0), ``checkpoint_note`` the signed checkpoint. Raises
    ``WitnessConflictError``, ``WitnessRefusedError``, ``WitnessUnreachableError`` or ``WitnessProtocolError``;
    ``ValueError`` for a request the spec forbids sending."""
    endpoint = url.rstrip("/") + "/add-checkpoint"
    request = urllib.request.Request(  # noqa: S310 (the operator's configured witness; http or https only)
        _checked_http_url(endpoint),
        data=add_checkpoint_body(old_size, consistency_proof, checkpoint_note),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    status, content_type, body = _post(request, timeout=timeout, url=endpoint)
    return _cosignature_lines(status, content_type, body, url=endpoint)


def _post(request: urllib.request.Request, *, timeout: float, url: str) -> tuple[int, str, bytes]:
    """The status, media type and (start of the) body of the answer, whatever its status."""
    try:
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return response.status, response.headers.get_content_type(), _read(response)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers.get_content_type(), _read(error)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            raise WitnessUnreachableError(f"no answer within {timeout:g} s", url=url) from error
        raise WitnessUnreachableError(str(reason) or type(reason).__name__, url=url) from error


def add_checkpoint_body(old_size: int, consistency_proof: Sequence[bytes], checkpoint_note: bytes) -> bytes:
    """The request body: ``old <size>``, the proof's hashes in base64, an empty line, the note."""
    if old_size < 0:
        raise ValueError("the old size is not negative")
    if len(consistency_proof) > MAX_PROOF_LINES:
        raise ValueError(f"a consistency proof has at most {MAX_PROOF_LINES} hashes")
    if any(len(h) != tlog.HASH_SIZE for h in consistency_proof):
        raise ValueError("a consistency proof's hashes are 32 bytes")
    if old_size == 0 and consistency_proof:
        raise ValueError("a proof from the empty tree is empty")
    if not checkpoint_note.endswith(b"\n"):
        raise ValueError("a signed note ends with a newline")
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in consistency_proof)]
    return ("\n".join(lines) + "\n\n").encode() + checkpoint_note


def _cosignature_lines(status: int, content_type: str, body: bytes, *, url: str) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    if status == 200:
        try:
            # The lines as a note's signatures: each must be '— name base64(key id || signature)'.
            lines = tlog.parse_note(b"-\n\n" + body).signatures
        except tlog.ProofError as error:
            raise WitnessProtocolError(f"a 200 without signature lines ({error})", url=url) from None
        return [line.line().rstrip("\n") for line in lines]
    if status == 409:
        size = text[:-1] if text.endswith("\n") else None
        if content_type != SIZE_MEDIA_TYPE or size is None or not _is_decimal(size):
            raise WitnessProtocolError(f"a 409 without a tree size ({content_type}: {text[:80]!r})", url=url)
        raise WitnessConflictError(int(size), url=url)
    if 400 <= status < 500:
        raise WitnessRefusedError(status, text.strip()[:500], url=url)
    if status >= 500:
        raise WitnessUnreachableError(f"the witness failed with {status}: {text.strip()[:200]}", url=url, status=status)
    raise WitnessProtocolError(f"add-checkpoint does not answer {status}", url=url)


@dataclass(frozen=True)
class Cosignature:
    """A witness's cosignature line that verified, and the time it states (seconds since the epoch)."""

    line: str
    timestamp: int


def verify_cosignatures(checkpoint_note: bytes, lines: Sequence[str], witness: tlog.Verifier) -> list[Cosignature]:
    """The lines that are ``witness``'s cosignatures over the checkpoint in ``checkpoint_note``,
    verified; lines of other keys are ignored, as the spec asks. Raises ``InvalidCosignatureError``
    if one of the witness's lines does not verify or carries no timestamp, or if none is there.

    ``witness`` is its verifier key of type 0x04 (``tlog.Verifier.from_vkey``); a plain note
    signature (0x01) by the same key is not a cosignature and is not accepted."""
    if witness.signature_type != tlog.COSIGNATURE_V1:
        raise ValueError("a witness's verifier key is a cosignature/v1 key (type 0x04)")
    if not lines:
        raise InvalidCosignatureError("no cosignature from the witness's key", witness=witness.name)
    try:
        text = tlog.parse_note(checkpoint_note).text
        block = "".join(line.removesuffix("\n") + "\n" for line in lines)  # with or without newlines
        signatures = tlog.parse_note(b"-\n\n" + block.encode()).signatures
    except tlog.ProofError as error:
        raise InvalidCosignatureError(f"unreadable note or lines: {error}", witness=witness.name) from None
    cosignatures = []
    for signature in signatures:
        if (signature.name, signature.key_id) != (witness.name, witness.key_id):
            continue
        try:
            timestamp = witness.verify(text, signature.signature)
        except tlog.ProofError as error:
            raise InvalidCosignatureError(str(error), witness=witness.name) from None
        if not timestamp:
            raise InvalidCosignatureError("a cosignature from add-checkpoint has a timestamp", witness=witness.name)
        cosignatures.append(Cosignature(line=signature.line().rstrip("\n"), timestamp=timestamp))
    if not cosignatures:
        raise InvalidCosignatureError("no cosignature from the witness's key", witness=witness.name)
    return cosignatures


def _is_decimal(text: str) -> bool:
    return text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))


def _read(response: http.client.HTTPResponse | urllib.error.HTTPError) -> bytes:
    return response.read(MAX_RESPONSE_BYTES + 1)[:MAX_RESPONSE_BYTES]


def _checked_http_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError("a witness's address is http:// or https://")
    return url


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would be resent as a GET without its body; a witness does not redirect.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
