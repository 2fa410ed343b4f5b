"""Sending the log's checkpoints to the witnesses the secretariat set (C2SP tlog-witness), keeping
their cosignatures, and raising an alert when one refuses."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from undersigned.ledger import tlog, witness_client
from undersigned.ledger.log_selectors import newest_checkpoint, read_hashes
from undersigned.ledger.models import LogCheckpoint, LogCosignature, LogWitness

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


def witness_newest_checkpoint() -> list[str]:
    """Asks each active witness to cosign the newest checkpoint; one line per witness."""
    checkpoint = newest_checkpoint()
    if checkpoint is None:
        return []
    return [
        f"{witness.name}: {send_to_witness(witness, checkpoint)}" for witness in LogWitness.objects.filter(active=True)
    ]


def send_to_witness(witness: LogWitness, checkpoint: LogCheckpoint) -> str:
    if LogCosignature.objects.filter(checkpoint=checkpoint, witness=witness).exists():
        return "cosigned already"
    try:
        verifier = tlog.Verifier.from_vkey(witness.vkey)
    except tlog.ProofError as error:
        return _refused(witness, f"its public key cannot be read: {error}")
    old_size = witness.known_size
    for _attempt in range(2):
        if old_size > checkpoint.size:
            return _refused(
                witness,
                f"it has seen this log at {old_size} entries, more than the newest checkpoint's {checkpoint.size}",
            )
        proof = tlog.consistency_proof(old_size, checkpoint.size, read_hashes) if 0 < old_size else []
        try:
            lines = witness_client.add_checkpoint(
                witness.url,
                old_size=old_size,
                consistency_proof=proof,
                checkpoint_note=checkpoint.note.encode(),
                timeout=TIMEOUT_SECONDS,
            )
            cosignatures = witness_client.verify_cosignatures(checkpoint.note.encode(), lines, verifier)
        except witness_client.WitnessConflictError as conflict:
            # The witness knows another size of the log than we thought: prove from there.
            old_size = conflict.known_size
            continue
        except witness_client.WitnessRefusedError as refusal:
            return _refused(witness, f"refused ({refusal.status}): {refusal.text[:300]}")
        except witness_client.InvalidCosignatureError:
            return _refused(witness, "its cosignature does not verify with its public key")
        except witness_client.WitnessUnreachableError as error:
            LogWitness.objects.filter(pk=witness.pk).update(last_attempt_at=timezone.now())
            logger.warning("witness %s not reached: %s", witness.name, error.reason)
            return f"not reached ({error.reason})"
        except witness_client.WitnessError as error:
            return _refused(witness, f"answered outside the protocol: {error}")
        now = timezone.now()
        with transaction.atomic():
            LogCosignature.objects.bulk_create(
                [
                    LogCosignature(
                        checkpoint=checkpoint,
                        witness=witness,
                        line=cosignature.line + "\n",
                        timestamp=cosignature.timestamp,
                    )
                    for cosignature in cosignatures[:1]
                ],
                ignore_conflicts=True,
            )
            LogWitness.objects.filter(pk=witness.pk).update(
                known_size=checkpoint.size, last_attempt_at=now, last_cosigned_at=now, problem="", problem_since=None
            )
        return f"cosigned {checkpoint.size}"
    return _refused(witness, "it disagreed twice about the size it knows")


def _refused(witness: LogWitness, problem: str) -> str:
    logger.error("witness %s: %s", witness.name, problem)
    LogWitness.objects.filter(pk=witness.pk).update(
        problem=problem[:500],
        problem_since=witness.problem_since or timezone.now(),
        last_attempt_at=timezone.now(),
    )
    return problem
