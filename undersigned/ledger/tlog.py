"""The transparency log's formats, as open standards define them, with nothing of Django.

- The Merkle tree of RFC 6962 / RFC 9162 (SHA-256; leaf = H(0x00 || entry), node = H(0x01 || left
  || right)), kept as *stored hashes*: every hash of a complete subtree, each written once, in the
  order Go's ``golang.org/x/mod/sumdb/tlog`` writes them, so that appending never rewrites and any
  root, inclusion proof or consistency proof is a handful of reads.
- Tiles (C2SP ``tlog-tiles``): 256-wide slices of one level of those hashes, and their paths.
- Signed notes (C2SP ``signed-note``, Ed25519), checkpoints (``tlog-checkpoint``), Ed25519
  cosignatures (``tlog-cosignature``, signature type 0x04) and proof files (``tlog-proof``).

Storage is the caller's: functions that need stored hashes take a ``read_hashes(indexes)``
function returning the hashes at those stored-hash indexes, in order.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HASH_SIZE = 32
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
EMPTY_ROOT = hashlib.sha256(b"").digest()

ReadHashes = Callable[[Sequence[int]], Sequence[bytes]]


class ProofError(ValueError):
    """A proof, a note or a tile that does not verify, or asks for what cannot exist."""


# --- Hashing ------------------------------------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> tuple[int, int]:
    """(k, level): the largest power of two ``k = 2**level`` with ``k < n`` (n >= 2)."""
    level = (n - 1).bit_length() - 1
    return 1 << level, level


# --- Stored hashes ------------------------------------------------------------------------------


def stored_hash_index(level: int, n: int) -> int:
    """Where the hash of the ``n``-th complete subtree of height ``level`` is stored. Level L's
    n-th hash is written right after level L+1's (2n+1)-th: appending a leaf writes its hash, then
    the hash of every subtree it completes."""
    for _ in range(level):
        n = 2 * n + 1
    index = 0
    while n > 0:
        index += n
        n >>= 1
    return index + level


def stored_hash_count(size: int) -> int:
    """How many stored hashes a tree of ``size`` leaves has."""
    if size == 0:
        return 0
    count = stored_hash_index(0, size - 1) + 1
    last = size - 1
    while last & 1:
        count += 1
        last >>= 1
    return count


def stored_hashes_for_leaf(index: int, leaf: bytes, read_hashes: ReadHashes) -> list[bytes]:
    """The hashes to store when leaf number ``index`` (whose leaf hash is ``leaf``) is appended:
    its own, then one per subtree it completes. Reads the left siblings it needs."""
    completes = ((index + 1) & -(index + 1)).bit_length() - 1  # trailing zero bits of index + 1
    siblings = [stored_hash_index(level, (index >> level) - 1) for level in range(completes)]
    old = list(read_hashes(sorted(siblings)))
    by_index = dict(zip(sorted(siblings), old, strict=True))
    hashes, current = [leaf], leaf
    for level in range(completes):
        current = node_hash(by_index[siblings[level]], current)
        hashes.append(current)
    return hashes


def _subtree_indexes(lo: int, hi: int) -> list[int]:
    """The stored hashes that together cover leaves [lo, hi), left to right: complete subtrees
    as large as possible."""
    indexes = []
    while lo < hi:
        k, level = _largest_power_of_two_below(hi - lo + 1)
        if lo & (k - 1):
            raise ProofError("a range that does not split into stored subtrees")
        indexes.append(stored_hash_index(level, lo >> level))
        lo += k
    return indexes


def range_hash(lo: int, hi: int, read_hashes: ReadHashes) -> bytes:
    """MTH(D[lo:hi]) for a range the RFC's recursion produces (``lo`` a multiple of a power of
    two at least ``hi - lo``)."""
    if hi <= lo:
        raise ProofError("an empty range has no subtree hash")
    hashes = list(read_hashes(_subtree_indexes(lo, hi)))
    current = hashes[-1]
    for left in reversed(hashes[:-1]):
        current = node_hash(left, current)
    return current


def tree_hash(size: int, read_hashes: ReadHashes) -> bytes:
    """The root of the tree of ``size`` leaves (RFC 6962: SHA-256 of nothing when empty)."""
    return EMPTY_ROOT if size == 0 else range_hash(0, size, read_hashes)


# --- Proofs (RFC 9162, 2.1.3 and 2.1.4) -------------------------------------------------------------


def inclusion_proof(index: int, size: int, read_hashes: ReadHashes) -> list[bytes]:
    """PATH(index, D[0:size]): from the leaf's sibling up to the root's child."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    return _path(index, 0, size, read_hashes)


def _path(m: int, lo: int, hi: int, read_hashes: ReadHashes) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k, _level = _largest_power_of_two_below(n)
    if m < k:
        return [*_path(m, lo, lo + k, read_hashes), range_hash(lo + k, hi, read_hashes)]
    return [*_path(m - k, lo + k, hi, read_hashes), range_hash(lo, lo + k, read_hashes)]


def consistency_proof(old_size: int, new_size: int, read_hashes: ReadHashes) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]); empty when either size is 0 or they are equal."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    return _subproof(old_size, 0, new_size, True, read_hashes)


def _subproof(m: int, lo: int, hi: int, whole: bool, read_hashes: ReadHashes) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if whole else [range_hash(lo, hi, read_hashes)]
    k, _level = _largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof(m, lo, lo + k, whole, read_hashes), range_hash(lo + k, hi, read_hashes)]
    return [*_subproof(m - k, lo + k, hi, False, read_hashes), range_hash(lo, lo + k, read_hashes)]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162, 2.1.3.2; raises ``ProofError`` unless ``proof`` binds ``leaf`` at ``index`` to
    ``root`` of a tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    if r != root:
        raise ProofError("the inclusion proof does not lead to the root")


def verify_consistency(old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes) -> None:
    """RFC 9162, 2.1.4.2; raises ``ProofError`` unless the tree of ``new_size`` leaves with
    ``new_root`` extends the one of ``old_size`` with ``old_root``."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from {old_size} to {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("two different roots for one size: the log forked")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != old_root:
        raise ProofError("the consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("the consistency proof does not lead to the new root")


# --- Tiles (C2SP tlog-tiles) --------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    level: int
    index: int
    width: int  # 1..256; 256 is a full tile

    @property
    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]``."""
        return f"tile/{self.level}/{tile_index_path(self.index)}" + (
            "" if self.width == TILE_WIDTH else f".p/{self.width}"
        )

    @property
    def entries_path(self) -> str:
        """``tile/entries/<N>[.p/<W>]`` (level 0 only)."""
        return f"tile/entries/{tile_index_path(self.index)}{self._width_suffix}"

    @property
    def _width_suffix(self) -> str:
        return "" if self.width == TILE_WIDTH else f".p/{self.width}"


def tile_index_path(index: int) -> str:
    """1234067 → ``x001/x234/067``."""
    if index < 0:
        raise ProofError("a tile index is not negative")
    groups = []
    while True:
        groups.append(index % 1000)
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([*(f"x{group:03d}" for group in groups[:-1]), f"{groups[-1]:03d}"])


def parse_tile_path(path: str) -> Tile:
    """The inverse of ``Tile.path`` (also for ``tile/entries/…``, as level -1); ``ProofError``
    for anything that is not a canonical tile path."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise ProofError("not a tile path")
    level_part, rest = parts[1], parts[2:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        width_part = rest[-1]
        if not width_part.isdigit() or width_part.startswith("0") or not 1 <= int(width_part) < TILE_WIDTH:
            raise ProofError("a partial tile's width is 1 to 255")
        width = int(width_part)
        rest = [*rest[:-2], rest[-2][:-2]]
    *upper, last = rest
    if not all(len(g) == 4 and g[0] == "x" and g[1:].isdigit() for g in upper):
        raise ProofError("not a tile index")
    if not (len(last) == 3 and last.isdigit()):
        raise ProofError("not a tile index")
    digits = [g[1:] for g in upper] + [last]
    if len(digits) > 1 and digits[0] == "000":
        raise ProofError("a tile index has no leading zero groups")
    index = int("".join(digits))
    if level_part == "entries":
        return Tile(level=-1, index=index, width=width)
    if not level_part.isdigit() or (level_part.startswith("0") and level_part != "0") or int(level_part) > 63:
        raise ProofError("a tile level is 0 to 63")
    return Tile(level=int(level_part), index=index, width=width)


def tiles_for_size(size: int) -> list[Tile]:
    """Every tile a tree of ``size`` leaves has (full ones, then each level's partial one)."""
    tiles: list[Tile] = []
    level = 0
    while True:
        hashes_at_level = size >> (TILE_HEIGHT * level)
        if hashes_at_level == 0:
            break
        full, partial = divmod(hashes_at_level, TILE_WIDTH)
        tiles.extend(Tile(level, index, TILE_WIDTH) for index in range(full))
        if partial:
            tiles.append(Tile(level, full, partial))
        level += 1
    return tiles


def tile_hash_indexes(tile: Tile) -> list[int]:
    """The stored hashes a tile is made of, in order."""
    start = tile.index * TILE_WIDTH
    return [stored_hash_index(TILE_HEIGHT * tile.level, start + i) for i in range(tile.width)]


def tile_data(tile: Tile, read_hashes: ReadHashes) -> bytes:
    return b"".join(read_hashes(tile_hash_indexes(tile)))


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Entries as a bundle: each prefixed by its length, a big-endian uint16."""
    out = bytearray()
    for entry in entries:
        if len(entry) > 0xFFFF:
            raise ProofError("an entry is at most 65,535 bytes")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise ProofError("an entry bundle ends inside a length")
        (length,) = struct.unpack(">H", data[at : at + 2])
        if at + 2 + length > len(data):
            raise ProofError("an entry bundle ends inside an entry")
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    return entries


# --- Signed notes (C2SP signed-note) -----------------------------------------------------------------

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
_EM_DASH = "\u2014"


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


def check_key_name(name: str) -> str:
    if not name or any(ch.isspace() or ch == "+" for ch in name) or any(ord(ch) < 0x20 for ch in name):
        raise ProofError("a key name is not empty and has no space or '+'")
    return name


@dataclass(frozen=True)
class Verifier:
    """A public key a note may be signed with: its name, type (0x01 note, 0x04 cosignature) and key."""

    name: str
    signature_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.signature_type, self.public_key)

    @property
    def vkey(self) -> str:
        """``<name>+<hex key id>+<base64(type || key)>``."""
        material = base64.b64encode(bytes([self.signature_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        try:
            # The key's base64 may hold '+' itself: only the first two split.
            name, _, rest = vkey.strip().partition("+")
            hex_id, _, material = rest.partition("+")
            raw = base64.b64decode(material, validate=True)
        except (ValueError, binascii.Error):
            raise ProofError("not a verifier key (name+id+key)") from None
        check_key_name(name)
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise ProofError("only Ed25519 verifier keys are known here")
        verifier = cls(name=name, signature_type=raw[0], public_key=raw[1:])
        if verifier.key_id.hex() != hex_id.lower():
            raise ProofError("the verifier key's id does not match its key")
        return verifier

    def verify(self, text: bytes, signature: bytes) -> int | None:
        """Checks ``signature`` (without its key id) over a note's ``text``; returns the
        cosignature's timestamp (None for a plain note signature). Raises ``ProofError``."""
        key = Ed25519PublicKey.from_public_bytes(self.public_key)
        try:
            if self.signature_type == ED25519:
                key.verify(signature, text)
                return None
            if len(signature) != 8 + 64:
                raise ProofError("a cosignature is a timestamp and 64 bytes")
            (timestamp,) = struct.unpack(">Q", signature[:8])
            key.verify(signature[8:], cosigned_message(text, timestamp))
            return int(timestamp)
        except InvalidSignature:
            raise ProofError(f"the signature of {self.name} does not verify") from None


@dataclass(frozen=True)
class Signer:
    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, ED25519, self.private_key.public_key().public_bytes_raw())

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(check_key_name(name), Ed25519PrivateKey.generate())

    @property
    def skey(self) -> str:
        """The private key as Go's ``note.NewSigner`` reads it:
        ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``."""
        seed = self.private_key.private_bytes_raw()
        material = base64.b64encode(bytes([ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{material}"

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        prefix = "PRIVATE+KEY+"
        text = skey.strip()
        if not text.startswith(prefix):
            raise ProofError("a signer key starts with PRIVATE+KEY+")
        name, _, rest = text[len(prefix) :].partition("+")
        hex_id, _, material = rest.partition("+")
        try:
            raw = base64.b64decode(material, validate=True)
        except (ValueError, binascii.Error):
            raise ProofError("a signer key ends with base64") from None
        check_key_name(name)
        if len(raw) != 33 or raw[0] != ED25519:
            raise ProofError("only Ed25519 signer keys are known here")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.verifier.key_id.hex() != hex_id.lower():
            raise ProofError("the signer key's id does not match its key")
        return signer

    def sign_line(self, text: bytes) -> str:
        signature = self.verifier.key_id + self.private_key.sign(text)
        return f"{_EM_DASH} {self.name} {base64.b64encode(signature).decode()}\n"

    def cosign_line(self, text: bytes, timestamp: int) -> str:
        """A ``tlog-cosignature`` v1 line over a checkpoint's ``text`` (for tests and witnesses)."""
        verifier = Verifier(self.name, COSIGNATURE_V1, self.verifier.public_key)
        signature = struct.pack(">Q", timestamp) + self.private_key.sign(cosigned_message(text, timestamp))
        return f"{_EM_DASH} {self.name} {base64.b64encode(verifier.key_id + signature).decode()}\n"


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    return b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + text


@dataclass(frozen=True)
class SignatureLine:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{_EM_DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


@dataclass(frozen=True)
class Note:
    text: bytes  # up to and including its final newline
    signatures: tuple[SignatureLine, ...]

    def serialise(self) -> bytes:
        return self.text + b"\n" + "".join(line.line() for line in self.signatures).encode()


MAX_NOTE_BYTES = 1 << 20
MAX_SIGNATURES = 64


def parse_note(data: bytes) -> Note:
    """A signed note split into text and signature lines (nothing verified)."""
    if len(data) > MAX_NOTE_BYTES:
        raise ProofError("the note is too large")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProofError("a note is UTF-8") from None
    if any(ord(ch) < 0x20 and ch != "\n" for ch in decoded):
        raise ProofError("a note has no control character but newline")
    split = data.rfind(b"\n\n")
    if split < 0 or not data.endswith(b"\n"):
        raise ProofError("a note is text, a blank line and signature lines")
    text, lines = data[: split + 1], data[split + 2 :].decode().splitlines()
    if not lines:
        raise ProofError("a note has at least one signature")
    if len(lines) > MAX_SIGNATURES:
        raise ProofError("too many signatures")
    signatures = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != _EM_DASH:
            raise ProofError("a signature line is '— name signature'")
        name = check_key_name(parts[1])
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise ProofError("a signature is base64") from None
        if len(raw) < 5:
            raise ProofError("a signature is a key id and more")
        signatures.append(SignatureLine(name=name, key_id=raw[:4], signature=raw[4:]))
    return Note(text=text, signatures=tuple(signatures))


@dataclass(frozen=True)
class VerifiedSignature:
    verifier: Verifier
    timestamp: int | None


def verify_note(note: Note, verifiers: Iterable[Verifier]) -> list[VerifiedSignature]:
    """The signatures of known keys, each verified; signatures of unknown keys are ignored, a
    known key's bad signature rejects the note, and so does a note no known key signed."""
    known = {(v.name, v.key_id): v for v in verifiers}
    verified = []
    for line in note.signatures:
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            continue
        verified.append(VerifiedSignature(verifier, verifier.verify(note.text, line.signature)))
    if not verified:
        raise ProofError("no known key signed the note")
    return verified


# --- Checkpoints (C2SP tlog-checkpoint) -----------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> bytes:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n".encode()


def parse_checkpoint(text: bytes) -> Checkpoint:
    try:
        lines = text.decode().split("\n")
    except UnicodeDecodeError:
        raise ProofError("a checkpoint is UTF-8") from None
    if len(lines) < 4 or lines[-1] != "" or any(line == "" for line in lines[:-1]):
        raise ProofError("a checkpoint is an origin, a size and a root hash, one per line")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise ProofError("a checkpoint's size is a decimal number without leading zeros")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise ProofError("a checkpoint's root is base64") from None
    if len(root) != HASH_SIZE:
        raise ProofError("a checkpoint's root is 32 bytes")
    return Checkpoint(origin=origin, size=int(size_text), root=root)


def open_checkpoint(
    data: bytes, log: Verifier, witnesses: Iterable[Verifier] = ()
) -> tuple[Checkpoint, list[VerifiedSignature]]:
    """A signed checkpoint, verified: the log's signature is required and its origin must be the
    log's key name; the witnesses' cosignatures that verify are returned (with the log's)."""
    note = parse_note(data)
    checkpoint = parse_checkpoint(note.text)
    if checkpoint.origin != log.name:
        raise ProofError(f"the checkpoint is of {checkpoint.origin!r}, not {log.name!r}")
    verified = verify_note(note, [log, *witnesses])
    if not any(signature.verifier == log for signature in verified):
        raise ProofError("the log did not sign the checkpoint")
    return checkpoint, verified


# --- Proof files (C2SP tlog-proof) ---------------------------------------------------------------

PROOF_HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class ProofFile:
    index: int
    proof: tuple[bytes, ...]
    checkpoint: bytes  # the signed note, verbatim
    extra: bytes | None = None

    def serialise(self) -> bytes:
        lines = [PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode() for h in self.proof)
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint


def parse_proof_file(data: bytes) -> ProofFile:
    head, separator, checkpoint = data.partition(b"\n\n")
    if not separator:
        raise ProofError("a proof file has its checkpoint after an empty line")
    try:
        lines = head.decode().split("\n")
    except UnicodeDecodeError:
        raise ProofError("a proof file is UTF-8") from None
    if lines[0] != PROOF_HEADER:
        raise ProofError(f"a proof file starts with {PROOF_HEADER}")
    lines = lines[1:]
    extra = None
    try:
        if lines and lines[0].startswith("extra "):
            extra = base64.b64decode(lines.pop(0)[6:], validate=True)
        if not lines or not lines[0].startswith("index "):
            raise ProofError("a proof file names its entry's index")
        index_text = lines.pop(0)[6:]
        if not index_text.isdigit() or (index_text.startswith("0") and index_text != "0"):
            raise ProofError("an index is a decimal number without leading zeros")
        proof = tuple(base64.b64decode(line, validate=True) for line in lines)
    except binascii.Error:
        raise ProofError("a proof file's hashes are base64") from None
    if any(len(h) != HASH_SIZE for h in proof) or len(proof) > 63:
        raise ProofError("an inclusion proof is at most 63 hashes of 32 bytes")
    return ProofFile(index=int(index_text), proof=proof, checkpoint=checkpoint, extra=extra)
