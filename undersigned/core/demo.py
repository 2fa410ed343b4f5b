"""Neutral demo content: a federation, two commissions, two staff accounts and three statements.

Loading is idempotent: what exists already is left exactly as it is, so a demo site that someone
has edited keeps their edits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.db import transaction

from undersigned.accounts.models import User
from undersigned.accounts.services import staff_user_create
from undersigned.commissions.models import Commission, CommissionMembership
from undersigned.commissions.services import CommissionTextInput, commission_create, commission_member_add
from undersigned.core.crypto import new_identity
from undersigned.federation.models import Federation
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update
from undersigned.signatures.services import trustee_add, trustees_for
from undersigned.statements.importer import parse_press_release
from undersigned.statements.models import Statement
from undersigned.statements.services import (
    TextInput,
    statement_close,
    statement_import,
    statement_publish,
    text_publish,
    translation_add,
)


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    created: bool


# Demo sign-in details are printed on purpose: the command refuses to run outside DEBUG.
SECRETARIAT_EMAIL = "secretariat@example.org"
SECRETARIAT_PASSWORD = "quiet-harbour-lamp-41"  # noqa: S105  (printed demo credential)
EDITOR_EMAIL = "editor@example.org"
EDITOR_PASSWORD = "amber-field-notes-27"  # noqa: S105  (printed demo credential)

FEDERATION_TEXTS = {
    "en": LocalisedText(
        name="Example Federation",
        description=(
            "A network of community organisations that publishes joint statements and gathers support for them."
        ),
    ),
    "es": LocalisedText(
        name="Federación de Ejemplo",
        description=(
            "Una red de organizaciones comunitarias que publica declaraciones conjuntas y reúne apoyos para ellas."
        ),
    ),
    "fr": LocalisedText(
        name="Fédération Exemple",
        description=(
            "Un réseau d’organisations de quartier qui publie des déclarations communes et rassemble des soutiens."
        ),
    ),
    "ar": LocalisedText(
        name="الاتحاد النموذجي",
        description="شبكة من المنظمات المجتمعية تنشر بيانات مشتركة وتجمع التأييد لها.",
    ),
}

COMMISSIONS = {
    "public-libraries": {
        "en": CommissionTextInput(
            name="Commission on Public Libraries",
            mandate="Follows opening hours, reading rooms and lending services of public libraries.",
        ),
        "es": CommissionTextInput(
            name="Comisión de Bibliotecas Públicas",
            mandate="Sigue los horarios, las salas de lectura y los servicios de préstamo de las bibliotecas públicas.",
        ),
        "fr": CommissionTextInput(
            name="Commission des bibliothèques publiques",
            mandate="Suit les horaires, les salles de lecture et les services de prêt des bibliothèques publiques.",
        ),
        "ar": CommissionTextInput(
            name="لجنة المكتبات العامة",
            mandate="تتابع ساعات عمل المكتبات العامة وقاعات المطالعة وخدمات الإعارة.",
        ),
    },
    "urban-mobility": {
        "en": CommissionTextInput(
            name="Commission on Urban Mobility",
            mandate="Works on safe cycling lanes, pavements and public transport within towns.",
        ),
        "es": CommissionTextInput(
            name="Comisión de Movilidad Urbana",
            mandate="Trabaja sobre carriles bici seguros, aceras y transporte público en las ciudades.",
        ),
        "fr": CommissionTextInput(
            name="Commission de la mobilité urbaine",
            mandate="Travaille sur les pistes cyclables sûres, les trottoirs et les transports publics en ville.",
        ),
        "ar": CommissionTextInput(
            name="لجنة التنقل الحضري",
            mandate="تعمل على مسارات آمنة للدراجات والأرصفة والنقل العام داخل المدن.",
        ),
    },
}


def _ensure_account(email: str, full_name: str, password: str, *, role: str, is_secretariat: bool) -> DemoAccount:
    if User.objects.filter(email=email).exists():
        return DemoAccount(role=role, email=email, password=password, created=False)
    staff_user_create(email=email, full_name=full_name, password=password, is_secretariat=is_secretariat)
    return DemoAccount(role=role, email=email, password=password, created=True)


@transaction.atomic
def demo_load() -> list[DemoAccount]:
    """Create what is missing of the demo; return the demo accounts to print."""
    if not Federation.objects.exists():
        federation_update(
            actor=None,
            default_language="en",
            offered_languages=list(FEDERATION_TEXTS),
            contact_email="secretariat@example.org",
            texts=FEDERATION_TEXTS,
        )
    for slug, texts in COMMISSIONS.items():
        if not Commission.objects.filter(slug=slug).exists():
            commission_create(actor=None, slug=slug, texts=texts)
    accounts = [
        _ensure_account(
            SECRETARIAT_EMAIL, "Sam Secretariat", SECRETARIAT_PASSWORD, role="secretariat", is_secretariat=True
        ),
        _ensure_account(EDITOR_EMAIL, "Eli Editor", EDITOR_PASSWORD, role="editor", is_secretariat=False),
    ]
    _ensure_demo_trustees()
    _load_demo_statements()
    editor = User.objects.get(email=EDITOR_EMAIL)
    libraries = Commission.objects.get(slug="public-libraries")
    if not CommissionMembership.objects.filter(commission=libraries, user=editor).exists():
        commission_member_add(actor=None, commission=libraries, user=editor, role=CommissionMembership.Role.EDITOR)
    return accounts


DEMO_STATEMENTS = {
    # slug: (issuing commission, original language, closed)
    "library-opening-hours": ("public-libraries", "en", False),
    "winter-reading-rooms": ("public-libraries", "en", True),
    "safe-cycling-lanes": ("urban-mobility", "en", False),
}
DEMO_TRANSLATIONS = ("es", "fr", "ar")
DEMO_TEXTS = Path(__file__).resolve().parent.parent / "statements" / "demo"


def demo_trustee_keys_dir() -> Path:
    return Path(settings.VAR_DIR) / "demo-trustee-keys"


def _ensure_demo_trustees() -> None:
    """One trustee per issuing body, whose private key stays in var/: acceptable for a demo only.

    On a real site the private keys never touch the server (see ``create_trustee_key``).
    """
    directory = demo_trustee_keys_dir()
    directory.mkdir(parents=True, exist_ok=True)
    bodies: list[Commission | None] = [None, *Commission.objects.filter(slug__in=COMMISSIONS).order_by("slug")]
    for commission in bodies:
        if trustees_for(commission.pk if commission else None):
            continue
        identity, public_key = new_identity()
        name = commission.slug if commission else "federation"
        key_file = directory / f"{name}.key"
        key_file.write_text(f"# public key: {public_key}\n{identity}\n", encoding="ascii")
        key_file.chmod(0o600)
        trustee_add(actor=None, commission=commission, name=f"Demo trustee ({name})", public_key=public_key)


def _load_demo_statements() -> None:
    """Imports the neutral press releases in statements/demo/, through the same importer editors use."""
    for slug, (commission_slug, original, closed) in DEMO_STATEMENTS.items():
        if Statement.objects.filter(slug=slug).exists():
            continue
        commission = Commission.objects.get(slug=commission_slug)
        source = (DEMO_TEXTS / f"{slug}.{original}.txt").read_text(encoding="utf-8")
        statement = statement_import(actor=None, commission=commission, slug=slug, language=original, source=source)
        for language in DEMO_TRANSLATIONS:
            parsed = parse_press_release(
                (DEMO_TEXTS / f"{slug}.{language}.txt").read_text(encoding="utf-8"), language=language
            )
            text = translation_add(
                actor=None,
                statement=statement,
                language=language,
                text=replace(TextInput.from_parsed(parsed), translator_credit="Example Federation translators"),
            )
            text.statement = statement
            text_publish(actor=None, text=text)
        statement_publish(actor=None, statement=statement)
        if closed:
            statement_close(actor=None, statement=statement)
