from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("a staff user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True, is_secretariat=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        # Sign-in is case-insensitive on the address; addresses are stored lower-cased.
        return self.get(email=(username or "").lower())


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff: secretariat, editor or translator. Signers never get an account."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    is_secretariat = models.BooleanField(
        _("secretariat"),
        default=False,
        help_text=_("Runs the site: federation settings, commissions and staff accounts."),
    )
    is_staff = models.BooleanField(
        _("Django admin access"),
        default=False,
        help_text=_("May sign in to the low-level Django admin."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lower_case"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email


class StaffSession(models.Model):
    """One signed-in browser of a staff member, so that they can see where they are signed in and end
    the other sessions. The session itself carries ``marker``; deleting this row ends that session
    at its next request, whichever app server serves it and whatever keeps the session data."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_sessions")
    marker = models.CharField(max_length=43, unique=True)
    browser = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("staff session")
        indexes = [models.Index(fields=["user", "last_seen"], name="staff_session_user")]

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
