from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.core import ratelimit
from undersigned.core.crypto import keyed_hash
from undersigned.core.exceptions import DomainError


def staff_user_create(*, email: str, full_name: str, password: str, is_secretariat: bool = False) -> User:
    """A new staff account; the password must pass the site's password rules."""
    email = email.strip().lower()
    full_name = full_name.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("invalid_email", _("Enter a valid email address.")) from None
    if not full_name:
        raise DomainError("name_required", _("Give the staff member's full name."))
    if len(full_name) > 150 or len(email) > 254:
        raise DomainError("too_long", _("The name may be at most 150 characters, the address 254."))
    candidate = User(email=email, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise DomainError("weak_password", " ".join(error.messages)) from None
    try:
        with transaction.atomic():
            return User.objects.create_user(email, password, full_name=full_name, is_secretariat=is_secretariat)
    except IntegrityError:
        raise DomainError("email_taken", _("A staff account with this email address already exists.")) from None


def account_key(email: str) -> str:
    """The keyed hash that stands for a staff address in rate limits."""
    return keyed_hash("staff-email", email.strip().lower())[:32]


class SignInLock(StrEnum):
    ACCOUNT = "account"  # ten failures for the account: lifts after 15 to 30 minutes
    ACCOUNT_DAY = "account_day"  # thirty in a day: lifts after one to two days
    NETWORK = "network"  # twenty accounts failed from the network: lifts after one to two hours


def staff_sign_in_lock(*, email: str, network_hash: str) -> SignInLock | None:
    """Why a sign-in (password or code) for ``email`` from this network is refused now, if it is.
    Addresses count only as keyed hashes; see ``ratelimit.RULES`` for the numbers."""
    account = account_key(email)
    if ratelimit.exhausted(("staff_sign_in.account.daily", account)):
        return SignInLock.ACCOUNT_DAY
    if ratelimit.exhausted(("staff_sign_in.account", account)):
        return SignInLock.ACCOUNT
    if ratelimit.exhausted(("staff_sign_in.network", network_hash[:32])):
        return SignInLock.NETWORK
    return None


def staff_sign_in_failed(*, email: str, network_hash: str) -> None:
    account = account_key(email)
    ratelimit.record_failure(("staff_sign_in.account", account), ("staff_sign_in.account.daily", account))
    # The network's count goes up once per account and hour, however often that account fails.
    if ratelimit.allow(("staff_sign_in.network.account", f"{network_hash[:32]}:{account}")):
        ratelimit.record_failure(("staff_sign_in.network", network_hash[:32]))


def password_reset_allowed(*, email: str, network_hash: str) -> bool:
    """Counts a request for a reset mail; False once the network or the address asked too often.
    The caller answers alike either way, so the page does not tell which addresses have accounts."""
    return ratelimit.allow(
        ("password_reset.network", network_hash[:32]), ("password_reset.account", account_key(email))
    )
