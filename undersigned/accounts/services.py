from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
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
