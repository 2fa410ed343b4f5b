"""Named test users, factories, helpers and the fixtures of a small site, shared by every domain's tests.

Each domain builds what it tests through its own services; these factories build the rest. This
module knows every domain, so it sits above them (beside the apps, not in ``core``); the root
conftest imports its fixtures.
"""

from __future__ import annotations

import base64
import itertools
import os
import secrets
import time
from pathlib import Path
from typing import Any

import factory
import pytest

from undersigned.accounts.models import User
from undersigned.commissions.models import Commission, CommissionMembership, CommissionText
from undersigned.commissions.services import CommissionTextInput, commission_create
from undersigned.core.bot_check import FormTimer
from undersigned.core.crypto import new_identity
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update
from undersigned.ledger.tlog import Signer
from undersigned.sealing.models import Trustee

TEST_PASSWORD = "correct horse battery staple 7"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"staff{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.django.Password(TEST_PASSWORD)


class CommissionFactory(factory.django.DjangoModelFactory[Commission]):
    class Meta:
        model = Commission

    slug = factory.Sequence(lambda n: f"commission-{n}")


class CommissionTextFactory(factory.django.DjangoModelFactory[CommissionText]):
    class Meta:
        model = CommissionText

    commission = factory.SubFactory(CommissionFactory)
    language = "en"
    name = factory.Sequence(lambda n: f"Commission on Topic {n}")
    mandate = "Follows a neutral sample topic."


def secretariat(**overrides: Any) -> User:
    """Sam, who runs the site."""
    return UserFactory.create(email="sam@example.org", full_name="Sam Secretariat", is_secretariat=True, **overrides)


def editor(commission: Commission | None = None) -> User:
    """Eli, an editor; a member of ``commission`` when one is given."""
    user = UserFactory.create(email="eli@example.org", full_name="Eli Editor")
    if commission is not None:
        CommissionMembership.objects.create(commission=commission, user=user, role=CommissionMembership.Role.EDITOR)
    return user


def translator() -> User:
    """Tove, a translator in no commission yet."""
    return UserFactory.create(email="tove@example.org", full_name="Tove Translator")


ROOT = Path(__file__).resolve().parents[1]


_forms_drawn = itertools.count()


def drawn_form_token(timer: FormTimer, seconds_ago: float | None = None) -> str:
    """The ``started`` field of a form drawn ``seconds_ago``; by default some seconds or minutes
    ago and a different value each call, as from different visitors' pages: one drawn form
    carries only a few signatures (rule ``sign.form_token``)."""
    if seconds_ago is None:
        seconds_ago = 10 + next(_forms_drawn) % 3000
    return timer.started_token(drawn_at=time.time() - seconds_ago)


def production_environment(tmp_path: Path) -> dict[str, str]:
    """The environment of a production start-up, for tests that run the site in a separate process."""
    keep = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATA_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "LOG_KEY": Signer.generate("statements.example.org/log").skey,
        "SITE_URL": "https://statements.example.org",
        "ALLOWED_HOSTS": "statements.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "EMAIL_URL": "smtp://mail.example.org:587?tls=true",
        "VAR_DIR": str(tmp_path),
    }


def trustee_for(commission: Commission | None, name: str = "Tess Trustee") -> tuple[Trustee, str]:
    """A trustee of the issuing body, with the private identity a test needs to open sealed data."""
    identity, public_key = new_identity()
    trustee = Trustee.objects.create(commission=commission, name=name, public_key=public_key)
    from undersigned.sealing.selectors import forget_sealing_keys

    forget_sealing_keys()
    return trustee, identity


def staff_login(client: Any, user: User) -> None:
    """Signs ``user`` in on the test ``client`` as the sign-in pages would, second factor included:
    an authenticator (a TOTP device, whose codes ``current_code`` computes) that this session has
    already verified. Tests of the sign-in itself go through the pages instead."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from undersigned.accounts.second_factor import VERIFIED_AT_SESSION_KEY

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT_SESSION_KEY] = int(time.time())
    session.save()


def current_code(user: User, *, steps_ahead: int = 0) -> str:
    """The code ``user``'s authenticator app shows now (or ``steps_ahead`` 30-second steps later)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


# A site with two commissions, each with a trustee, so statements can be published.
@pytest.fixture
def site(db: None) -> None:
    """The federation, with a trustee for statements it issues as a whole."""
    federation_update(
        actor=None,
        default_language="en",
        offered_languages=["en", "es", "fr", "ar"],
        contact_email="secretariat@example.org",
        texts={"en": LocalisedText(name="Example Federation", description="A neutral sample network.")},
    )
    trustee_for(None)


@pytest.fixture
def libraries(site: None) -> Commission:
    commission = commission_create(
        actor=None,
        slug="public-libraries",
        texts={
            "en": CommissionTextInput(name="Commission on Public Libraries", mandate=""),
            "fr": CommissionTextInput(name="Commission des bibliothèques publiques", mandate=""),
        },
    )
    trustee_for(commission)
    return commission


@pytest.fixture
def mobility(site: None) -> Commission:
    commission = commission_create(
        actor=None,
        slug="urban-mobility",
        texts={"en": CommissionTextInput(name="Commission on Urban Mobility", mandate="")},
    )
    trustee_for(commission)
    return commission
