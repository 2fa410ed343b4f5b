"""Staff sign-in's second factor: a code from an authenticator app (TOTP, RFC 6238) or a one-time
backup code, kept with django-otp.

Who must have one: every account whose pages show anything about signers or contacts (the
secretariat, editors and moderators, and anyone with access to the low-level admin). Translators
and viewers may add one. A signed-in session counts as verified once a code was accepted in it
(django-otp keeps the device in the session); downloading sealed data asks for a code again.

A code is accepted once: django-otp remembers the last time step used per device, and each wrong
code makes the device wait longer before it checks another.
"""

from __future__ import annotations

import secrets
import time
from base64 import b32encode

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from undersigned.accounts.models import User
from undersigned.core import audit

BACKUP_CODE_COUNT = 10
VERIFIED_AT_SESSION_KEY = "second_factor_at"
AUTHENTICATOR_NAME = "authenticator"
BACKUP_CODES_NAME = "backup codes"


def needs_second_factor(user: User) -> bool:
    # Imported here: accounts is the lowest domain (commissions and permissions name its users),
    # and only this question needs their roles.
    from undersigned.commissions.models import CommissionMembership
    from undersigned.permissions.roles import SECOND_FACTOR_ROLES

    if user.is_secretariat or user.is_staff or user.is_superuser:
        return True
    return CommissionMembership.objects.filter(user=user, role__in=SECOND_FACTOR_ROLES).exists()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


ENROLMENT_SESSION_KEY = "second_factor_enrolment"


def enrolment_device(request: HttpRequest, user: User) -> TOTPDevice:
    """The authenticator being set up in this session: the same secret until it is confirmed, so
    reloading the page does not invalidate a code already scanned; a new secret in any other
    session, so that a secret someone saw elsewhere (a phished password, a shared screen) is
    never the one that gets confirmed."""
    pending = request.session.get(ENROLMENT_SESSION_KEY)
    device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=pending).first() if pending else None
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
        request.session[ENROLMENT_SESSION_KEY] = device.pk
    return device


def secret_of(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in: base32, in groups of four."""
    encoded = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(encoded[index : index + 4] for index in range(0, len(encoded), 4))


def issuer_name() -> str:
    # Imported here, like the roles above: the federation's name is only for the apps' label.
    from undersigned.federation.selectors import federation_identity

    identity = federation_identity()
    return identity.text_in(identity.default_language).name


def qr_code_svg(uri: str) -> str:
    """The QR code drawn here as inline SVG: the secret never goes to a QR service elsewhere."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", title="QR"))


def normalised_code(code: str) -> str:
    return "".join(character for character in code if character.isascii() and character.isalnum()).lower()


def _verify_on(device: Device, code: str) -> bool:
    with transaction.atomic():
        locked = type(device).objects.select_for_update().get(pk=device.pk)
        allowed, _detail = locked.verify_is_allowed()
        return bool(allowed) and bool(locked.verify_token(code))


def enrolment_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirms the authenticator if ``code`` is right; returns the new backup codes, else None.
    Any earlier authenticator of the user is removed: one phone at a time."""
    code = normalised_code(code)
    if not code.isdigit() or not _verify_on(device, code):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = backup_codes_renew(user=user, record=False)
        audit.record(actor=user, action="second_factor.enrolled", subject=user, detail={})
    return codes


def backup_codes_renew(*, user: User, record: bool = True) -> list[str]:
    """Ten new one-time codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=BACKUP_CODES_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    if record:
        audit.record(actor=user, action="second_factor.backup_codes_renewed", subject=user, detail={})
    return codes


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def code_accepted(user: User, code: str) -> Device | None:
    """The device that accepts ``code``: the authenticator for six digits, else a backup code
    (used up by this)."""
    code = normalised_code(code)
    if not code:
        return None
    devices: list[Device] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not code.isdigit() or len(code) != 6:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        if _verify_on(device, code):
            return device
    return None


def mark_verified(request: HttpRequest, device: Device) -> None:
    # A new session key at each step up, as at the password: a key somebody planted or read before
    # the code was typed is not the one that now opens pages needing the second factor.
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[VERIFIED_AT_SESSION_KEY] = int(time.time())


def verified_within(request: HttpRequest, seconds: int) -> bool:
    at = request.session.get(VERIFIED_AT_SESSION_KEY)
    return isinstance(at, int) and 0 <= time.time() - at <= seconds


def is_verified(request: HttpRequest) -> bool:
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def fresh_enough(request: HttpRequest) -> bool:
    return verified_within(request, settings.SECOND_FACTOR_FRESH_SECONDS)


def second_factor_remove(*, actor: User | None, user: User) -> None:
    """The secretariat resets a lost phone: the user sets up a new authenticator at next sign-in."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record(actor=actor, action="second_factor.reset", subject=user, detail={})


def new_session_marker() -> str:
    return secrets.token_urlsafe(32)
