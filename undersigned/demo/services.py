"""Neutral demo content: a federation, two commissions, two staff accounts, three statements and
four member organisations, three of which endorse a statement and report what they did for it.

Loading is idempotent: what exists already is left exactly as it is, so a demo site that someone
has edited keeps their edits.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from undersigned.accounts.models import User
from undersigned.accounts.services import staff_user_create
from undersigned.actions.models import SolidarityAction
from undersigned.actions.services import (
    ACTION_FORM_TIMER,
    REPORTABLE_STATUSES,
    ActionInput,
    ReporterInput,
    action_confirm,
    action_record,
    action_report_by_organisation,
)
from undersigned.commissions.models import Commission, CommissionMembership
from undersigned.commissions.services import CommissionTextInput, commission_create, commission_member_add
from undersigned.core.crypto import new_identity
from undersigned.federation.models import Federation
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update
from undersigned.organisations.logos import process_logo
from undersigned.organisations.models import Logo, Organisation, OrganisationType
from undersigned.organisations.services.directory import OrganisationInput, organisation_save
from undersigned.organisations.services.members import member_endorse
from undersigned.organisations.services.sign_ons import SignOnInput, sign_on_confirm, sign_on_record
from undersigned.organisations.types import ensure_builtin_types
from undersigned.sealing.selectors import trustees_for
from undersigned.sealing.services import trustee_add
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
    "fa": LocalisedText(
        name="فدراسیون نمونه",
        description="شبکه‌ای از سازمان‌های محلی که بیانیه‌های مشترک منتشر می‌کند و برای آن‌ها پشتیبانی گرد می‌آورد.",
    ),
    "tl": LocalisedText(
        name="Halimbawang Pederasyon",
        description=(
            "Isang network ng mga organisasyong pangkomunidad na naglalathala ng magkakasamang pahayag at "
            "nangangalap ng suporta para sa mga ito."
        ),
    ),
    "tr": LocalisedText(
        name="Örnek Federasyon",
        description="Ortak bildiriler yayımlayan ve bunlara destek toplayan toplum örgütlerinden oluşan bir ağ.",
    ),
    "uk": LocalisedText(
        name="Зразкова федерація",
        description="Мережа громадських організацій, що публікує спільні заяви та збирає для них підтримку.",
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


# The demo accounts' second factor, published like their passwords: the key for an authenticator
# app, and backup codes for those without one. (A backup code works once; running the demo command
# again gives each account its codes back.)
DEMO_AUTHENTICATOR_KEY = "UNDERSIGNEDDEMOKEYFORTESTING2345"  # base32, 20 bytes
DEMO_BACKUP_CODES = ("demo1111", "demo2222", "demo3333", "demo4444", "demo5555")


def _ensure_demo_second_factor(user: User) -> None:
    from base64 import b32decode

    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=True, key=b32decode(DEMO_AUTHENTICATOR_KEY).hex()
        )
    backup, _created = StaticDevice.objects.get_or_create(user=user, name="backup codes")
    for code in DEMO_BACKUP_CODES:
        StaticToken.objects.get_or_create(device=backup, token=code)


def _ensure_account(email: str, full_name: str, password: str, *, role: str, is_secretariat: bool) -> DemoAccount:
    created = not User.objects.filter(email=email).exists()
    if created:
        staff_user_create(email=email, full_name=full_name, password=password, is_secretariat=is_secretariat)
    _ensure_demo_second_factor(User.objects.get(email=email))
    return DemoAccount(role=role, email=email, password=password, created=created)


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
    _load_demo_organisations()
    _load_demo_actions()
    return accounts


# name, short name, country, type, website and email domain, colour of the drawn logo
DEMO_MEMBERS = [
    ("Friends of the Reading Room", "FRR", "FR", "association", "reading-room.example", (32, 96, 160)),
    ("Neighbourhood Libraries Network", "NLN", "ES", "network", "libraries-network.example", (160, 64, 32)),
    ("Community Study Circles", "CSC", "MA", "community-group", "study-circles.example", (40, 130, 70)),
    ("Union of Library Workers", "ULW", "DE", "union", "library-workers.example", (120, 40, 120)),
]
# A member contact of the demo signs in at /organisations/members/sign-in/ with any address at this domain.
DEMO_MEMBER_DOMAIN = DEMO_MEMBERS[0][4]


def _demo_logo(colour: tuple[int, int, int]) -> Logo:
    """A plain drawn mark, re-encoded like an uploaded logo."""
    image = Image.new("RGB", (240, 160), colour)
    ImageDraw.Draw(image).ellipse((70, 30, 170, 130), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    logo = process_logo(buffer.getvalue())
    stored, _created = Logo.objects.get_or_create(
        sha256=logo.sha256, defaults={"image": logo.image, "width": logo.width, "height": logo.height}
    )
    return stored


def _load_demo_organisations() -> None:
    """Member organisations in the directory; three endorse the open library statement, and one
    organisation's sign-on waits in the editors' review queue."""
    if Organisation.objects.exists():
        return
    ensure_builtin_types()
    members = []
    for name, short_name, country, kind, domain, colour in DEMO_MEMBERS:
        members.append(
            organisation_save(
                actor=None,
                organisation=None,
                data=OrganisationInput(
                    name=name,
                    short_name=short_name,
                    country=country,
                    type=OrganisationType.objects.get(code=kind),
                    website=f"https://{domain}/",
                    description="A sample member organisation of the demo federation.",
                    is_member=True,
                    member_since=date(2019, 1, 1),
                    email_domains=(domain,),
                    logo=_demo_logo(colour),
                ),
            )
        )
    libraries = Commission.objects.get(slug="public-libraries")
    Commission.objects.filter(pk=libraries.pk).update(members_skip_review=True)
    statement = Statement.objects.select_related("commission").get(slug="library-opening-hours")
    for organisation in members[:3]:
        member_endorse(
            statement=statement,
            organisation=organisation,
            email=f"contact@{organisation.website_domain}",
            language="en",
        )
    revision = statement.texts.get(language=statement.original_language).published_revision
    if revision is None:  # the statement was unpublished by hand on this demo site
        return
    pending = sign_on_record(
        statement=statement,
        revision=revision,
        data=SignOnInput(
            name="Riverside Parents' Association",
            country="PT",
            type=OrganisationType.objects.get(code="association"),
            website="https://riverside-parents.example/",
            contact_name="Demo Contact",
            contact_role="Secretary",
            contact_email="contact@riverside-parents.example",
        ),
        network_hash="0" * 64,
        language="en",
    )
    sign_on_confirm(sign_on_id=pending.pk, statement_id=statement.pk)


# organisation, kind, days from the day of loading (later: planned), city, country, language,
# description, link
DEMO_ACTIONS = [
    (
        "Friends of the Reading Room",
        "other",
        0,
        "Lyon",
        "FR",
        "fr",
        "Lecture publique de la déclaration dans la salle de lecture, suivie d’un échange avec le public.",
        "",
    ),
    (
        "Neighbourhood Libraries Network",
        "republication",
        0,
        "Valencia",
        "ES",
        "es",
        "Publicamos la declaración en nuestro boletín y en los tablones de las bibliotecas del barrio.",
        "https://libraries-network.example/boletin",
    ),
    (
        "Community Study Circles",
        "forum",
        14,
        "Rabat",
        "MA",
        "en",
        "A public forum on library opening hours with students, library staff and neighbours.",
        "",
    ),
]


def _load_demo_actions() -> None:
    """Three approved actions of member organisations for the open library statement (the library
    commission publishes its members' reports at once), and one of another organisation waiting
    for review."""
    statement = Statement.objects.filter(slug="library-opening-hours").select_related("commission").first()
    if statement is None or statement.status not in REPORTABLE_STATUSES:
        return
    if SolidarityAction.objects.filter(statement=statement).exists():
        return
    today = timezone.localdate()
    for name, kind, days, city, country, language, description, link in DEMO_ACTIONS:
        organisation = Organisation.objects.filter(name=name, is_member=True).first()
        if organisation is None:  # removed by hand on this demo site
            continue
        action_record(
            statement=statement,
            organisation=organisation,
            data=ActionInput(
                kind=kind,
                date=today + timedelta(days=days),
                city=city,
                country=country,
                description=description,
                description_language=language,
                link=link,
            ),
        )
    # And a vigil reported by an organisation that is not a member, its contact's report confirmed:
    # it waits in the editors' queue.
    reported = action_report_by_organisation(
        statement=statement,
        reporter=ReporterInput(
            organisation_name="Harbour Community Choir",
            organisation_website="https://harbour-choir.example",
            contact_name="Demo Contact",
            contact_role="Secretary",
            contact_email="contact@harbour-choir.example",
        ),
        data=ActionInput(
            kind="vigil",
            date=today,
            city="Porto",
            country="PT",
            description="An evening reading of the statement by the river, with songs between the readings.",
            description_language="en",
        ),
        started=ACTION_FORM_TIMER.started_token(drawn_at=time.time() - 60),
        honeypot="",
        network_hash="0" * 64,
        language="en",
    )
    action_confirm(action_id=reported.pk, statement_id=statement.pk)


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
