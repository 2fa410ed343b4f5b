"""Writing statements: create, import, edit, translate, publish revisions, close, withdraw; and
the translations member organisations offer, which join the same workflow as drafts.

Every change records an audit event in its own transaction. A published text is never changed in
place: readers see ``StatementText.published_revision``, and only ``text_publish`` moves it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from anyascii import anyascii
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.commissions.models import Commission
from undersigned.core import audit
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import canonical_language_code, is_content_language, native_language_name
from undersigned.core.plain_text import has_control_characters
from undersigned.core.slugs import clean_slug
from undersigned.organisations.models import Organisation
from undersigned.organisations.services.members import member_organisations_for
from undersigned.permissions.roles import can_edit_text, can_issue_for, can_manage_statement
from undersigned.sealing.models import Trustee
from undersigned.statements.canonical import canonical_sha256_of
from undersigned.statements.importer import ImportRefusedError, ParsedStatement, is_blank, parse_press_release
from undersigned.statements.models import Revision, Statement, StatementText, TranslatorAssignment
from undersigned.statements.rendering import render_markdown
from undersigned.statements.selectors import OFFERABLE_STATUSES, forget_statement


@dataclass(frozen=True)
class TextInput:
    """The fields of a text in one language, as an editor or translator writes them."""

    title: str
    body: str
    dateline_date: date | None = None
    dateline_place: str = ""
    headline_calls: list[str] = field(default_factory=list)
    call_to_action: str = ""
    translator_credit: str = ""

    @classmethod
    def from_parsed(cls, parsed: ParsedStatement) -> TextInput:
        return cls(
            title=parsed.title,
            body=parsed.body,
            dateline_date=parsed.dateline_date,
            dateline_place=parsed.dateline_place,
            headline_calls=list(parsed.headline_calls),
            call_to_action=parsed.call_to_action,
        )


# --- Checks -------------------------------------------------------------------------------------


def _clean_text(text: TextInput) -> TextInput:
    title = text.title.strip()
    body = text.body.strip("\n")
    if is_blank(title):
        raise DomainError("title_required", _("Give the statement a title."))
    if len(title) > 300:
        raise DomainError("title_too_long", _("The title may be at most 300 characters long."))
    if is_blank(body):
        raise DomainError("body_required", _("A statement needs a body: at least one paragraph."))
    if len(body) > 100_000:
        raise DomainError("body_too_long", _("The body may be at most 100,000 characters long."))
    calls = [call.strip() for call in text.headline_calls if call.strip()]
    if any(len(call) > 150 for call in calls):
        raise DomainError("call_too_long", _("Each headline call may be at most 150 characters long."))
    if len(text.call_to_action) > 2000:
        raise DomainError("call_to_action_too_long", _("The call to action may be at most 2,000 characters long."))
    if len(text.dateline_place) > 120 or len(text.translator_credit) > 200:
        raise DomainError("field_too_long", _("The place or the translator credit is too long."))
    return TextInput(
        title=title,
        body=body,
        dateline_date=text.dateline_date,
        dateline_place=text.dateline_place.strip(),
        headline_calls=calls,
        call_to_action=text.call_to_action.strip(),
        translator_credit=text.translator_credit.strip(),
    )


def _clean_slug(slug: str) -> str:
    return clean_slug(slug, max_length=100)


def _check_language(language: str) -> str:
    """The code in its stored form (``pt-br``); refused when the CLDR does not know it."""
    canonical = canonical_language_code(language)
    if canonical is None:
        raise DomainError("unknown_language", _("“%(code)s” is not a language code we know.") % {"code": language})
    return canonical


def _check_window(opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise DomainError("window_order", _("Sign-on must close after it opens."))


def _require_manager(actor: User | None, statement: Statement) -> None:
    if actor is not None and not can_manage_statement(actor, statement):
        raise DomainError("forbidden", _("Only the editors of the issuing body can do this."), status=403)


def _apply(text: StatementText, values: TextInput) -> None:
    text.title = values.title
    text.body = values.body
    text.dateline_date = values.dateline_date
    text.dateline_place = values.dateline_place
    text.headline_calls = values.headline_calls
    text.call_to_action = values.call_to_action
    text.translator_credit = values.translator_credit


def _text_sha256(text: StatementText) -> str:
    return canonical_sha256_of(text, language=text.language)


TEXT_FIELDS = [
    "title",
    "body",
    "dateline_date",
    "dateline_place",
    "headline_calls",
    "call_to_action",
    "translator_credit",
]


# --- Creating -----------------------------------------------------------------------------------


def statement_create(
    *,
    actor: User | None,
    commission: Commission | None,
    slug: str,
    original_language: str,
    text: TextInput,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Statement:
    """A draft statement with its original text. ``actor`` None means the operator's command line."""
    if actor is not None and not can_issue_for(actor, commission):
        raise DomainError("forbidden", _("You can only create statements for your own commissions."), status=403)
    slug = _clean_slug(slug)
    original_language = _check_language(original_language)
    _check_window(opens_at, closes_at)
    values = _clean_text(text)
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                slug=slug,
                commission=commission,
                original_language=original_language,
                opens_at=opens_at,
                closes_at=closes_at,
                created_by=actor,
            )
            original = StatementText(statement=statement, language=original_language)
            _apply(original, values)
            original.save()
            audit.record(actor=actor, action="statement.created", subject=statement, detail={"slug": slug})
    except IntegrityError:
        if Statement.objects.filter(slug=slug).exists():
            raise DomainError("slug_taken", _("Another statement already uses this short name.")) from None
        raise
    return statement


def slug_from_title(title: str) -> str:
    """The title in Latin letters, for the address: transliterated from any script ("بيان" gives
    "byn", "Заявление" gives "zayavlenie"), which the editor may replace with a short name of
    their own at import. Empty when nothing of the title can be written so."""
    return slugify(anyascii(title))[:100].strip("-")


def statement_import(
    *,
    actor: User | None,
    commission: Commission | None,
    language: str,
    source: str,
    slug: str = "",
    publish: bool = False,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Statement:
    """Parse a press release and store it as a new statement, all or nothing.

    Without a ``slug`` one is made from the title; a title with nothing an address can hold (in
    Arabic script, say) asks for one.
    """
    language = _check_language(language)
    _check_window(opens_at, closes_at)
    try:
        parsed = parse_press_release(source, language=language)
    except ImportRefusedError as refusal:
        raise DomainError("import_refused", str(refusal), detail={"line": refusal.line}) from None
    made = not slug.strip()
    slug = slug.strip() or slug_from_title(parsed.title)
    if not slug:
        raise DomainError(
            "slug_required",
            _("The title has no letters that an address can hold: give the statement a short name."),
        )
    if made and Statement.objects.filter(slug=slug).exists():
        raise DomainError(
            "slug_taken",
            _(
                "The short name made from the title, “%(slug)s”, is taken by another statement: "
                "if this is not the same statement, choose another short name."
            )
            % {"slug": slug},
        )
    with transaction.atomic():
        statement = statement_create(
            actor=actor,
            commission=commission,
            slug=slug,
            original_language=language,
            text=TextInput.from_parsed(parsed),
            opens_at=opens_at,
            closes_at=closes_at,
        )
        if publish:
            statement_publish(actor=actor, statement=statement)
    return statement


def translation_add(*, actor: User | None, statement: Statement, language: str, text: TextInput) -> StatementText:
    """A new draft text in ``language``. Managers add translations; so does a translator assigned to it."""
    language = _check_language(language)
    assigned = (
        actor is not None
        and TranslatorAssignment.objects.filter(statement=statement, language=language, translator=actor).exists()
    )
    if not assigned:
        _require_manager(actor, statement)
    values = _clean_text(text)
    try:
        with transaction.atomic():
            translation = StatementText(statement=statement, language=language)
            _apply(translation, values)
            translation.save()
            audit.record(actor=actor, action="text.created", subject=statement, detail={"language": language})
    except IntegrityError:
        raise DomainError(
            "language_taken",
            _("This statement already has a text in %(language)s.") % {"language": native_language_name(language)},
        ) from None
    return translation


# --- Translations offered by member organisations ------------------------------------------------


def translation_offer_refusal(statement: Statement) -> DomainError | None:
    """Why ``statement`` takes no offer of a translation now, read afresh; None when it takes one.

    Once its signers' personal data is purged the statement is archived: nobody is asked to work on it."""
    state = Statement.objects.filter(pk=statement.pk).values("status", "personal_data_purged_at").first()
    if state is None or state["status"] not in OFFERABLE_STATUSES:
        return DomainError("not_open", _("This statement takes no offers of translations."), status=410)
    if state["personal_data_purged_at"] is not None:
        return DomainError(
            "archived", _("This statement is archived: it takes no offers of translations any more."), status=410
        )
    return None


def _offer_problems(text: TextInput) -> dict[str, str]:
    """Hidden characters a person may paste without seeing them, by field. Staff texts are written
    by the issuing body itself; these come from outside it, so they are held to the rule of the
    public forms. Line breaks and tabs stay allowed where a field has lines; the joiners and
    direction marks of right-to-left scripts stay allowed in the running text."""
    problems: dict[str, str] = {}
    message = _("Remove the invisible control characters from this field.")
    for name, value in (("title", text.title), ("dateline_place", text.dateline_place)):
        if has_control_characters(value):
            problems[name] = message
    if any(has_control_characters(call) for call in text.headline_calls):
        problems["headline_calls"] = message
    for name, value in (("body", text.body), ("call_to_action", text.call_to_action)):
        if any(unicodedata.category(character) in {"Cc", "Cs"} and character not in "\n\r\t" for character in value):
            problems[name] = message
    return problems


# ``_clean_text``'s refusals, by the field of the offer form they are about.
OFFER_FIELD_OF_CODE = {
    "title_required": "title",
    "title_too_long": "title",
    "body_required": "body",
    "body_too_long": "body",
    "call_too_long": "headline_calls",
    "call_to_action_too_long": "call_to_action",
    "field_too_long": "dateline_place",
    "unknown_language": "language",
    "language_taken": "language",
}


def _language_taken(language: str) -> DomainError:
    return DomainError(
        "language_taken",
        _("This statement already has a text in %(language)s, published or being prepared: choose another language.")
        % {"language": native_language_name(language)},
        status=409,
    )


def _offer_waiting(organisation: Organisation) -> DomainError:
    return DomainError(
        "offer_waiting",
        _(
            "%(organisation)s already has a translation of this statement waiting for the editors. "
            "Offer another once they have published it."
        )
        % {"organisation": organisation.name},
        status=409,
    )


def translation_offer_by_contact(
    *, email: str, statement: Statement, organisation_id: int, language: str, text: TextInput
) -> StatementText:
    """A signed-in member contact offers a translation for one of the member organisations
    ``email`` is a verified contact of; any other organisation is not found."""
    organisation = next((item for item in member_organisations_for(email) if item.pk == organisation_id), None)
    if organisation is None:
        raise DomainError("not_found", _("This organisation was not found among yours."), status=404)
    return translation_offer(statement=statement, organisation=organisation, language=language, text=text)


def translation_offer(
    *, statement: Statement, organisation: Organisation, language: str, text: TextInput
) -> StatementText:
    """A draft text in ``language``, credited to ``organisation``, for the editors to review and
    publish (``text_publish``); nothing of it is public before they do.

    Precondition: whoever offers it speaks for ``organisation`` (``translation_offer_by_contact``
    checks it for people). Refused with ``language_taken`` when the statement has a text in that
    language, drafts included, and with ``offer_waiting`` while the organisation has another offer
    for this statement unpublished. Both rules are the database's too, so of two offers sent at
    once exactly one is stored and the other gets the same refusal. Raises ``invalid`` (the
    problems by field in ``detail["fields"]``) and stores nothing when the text breaks a rule."""
    if not organisation.is_member:
        raise DomainError("not_member", _("Only member organisations offer translations here."), status=403)
    refusal = translation_offer_refusal(statement)
    if refusal is not None:
        raise refusal
    if not is_content_language(language):
        message = _("Choose a language from the list.")
        raise DomainError("unknown_language", message, detail={"fields": {"language": message}})
    problems = _offer_problems(text)
    if problems:
        raise DomainError("invalid", next(iter(problems.values())), detail={"fields": problems})
    values = replace(_clean_text(text), translator_credit=organisation.name)
    if StatementText.objects.filter(statement=statement, language=language).exists():
        raise _language_taken(language)
    if _waiting_offer_of(statement, organisation):
        raise _offer_waiting(organisation)
    try:
        with transaction.atomic():
            translation = StatementText(
                statement=statement, language=language, status=StatementText.Status.DRAFT, offered_by=organisation
            )
            _apply(translation, values)
            translation.save()
            audit.record(
                actor=None,
                action="text.offered",
                subject=statement,
                detail={"language": language, "organisation": organisation.pk},
            )
    except IntegrityError:
        # Another offer (or an editor's translation) was stored meanwhile: say which rule it broke.
        if StatementText.objects.filter(statement=statement, language=language).exists():
            raise _language_taken(language) from None
        if _waiting_offer_of(statement, organisation):
            raise _offer_waiting(organisation) from None
        raise
    return translation


def _waiting_offer_of(statement: Statement, organisation: Organisation) -> bool:
    return (
        StatementText.objects.filter(statement=statement, offered_by=organisation)
        .exclude(status=StatementText.Status.PUBLISHED)
        .exists()
    )


def translation_offer_decline(*, actor: User | None, text: StatementText) -> None:
    """The editors decline an offered translation they will not publish: the draft is deleted, so
    the language is free again, for the editors or another organisation. A text that has ever
    been published is the record of what readers read, and stays."""
    statement = text.statement
    _require_manager(actor, statement)
    with transaction.atomic():
        locked = StatementText.objects.select_for_update().filter(pk=text.pk).first()
        if locked is None or locked.offered_by_id is None or locked.published_revision_id is not None:
            raise DomainError(
                "not_an_offer",
                _("Only a translation offered by a member organisation and never published can be declined."),
                status=409,
            )
        organisation_id = locked.offered_by_id
        locked.delete()
        audit.record(
            actor=actor,
            action="text.offer_declined",
            subject=statement,
            detail={"language": text.language, "organisation": organisation_id},
        )


# --- Editing and publishing texts ---------------------------------------------------------------


def text_save(*, actor: User | None, text: StatementText, values: TextInput) -> StatementText:
    """Change the working copy. Readers still see the published revision until ``text_publish``."""
    if actor is not None and not can_edit_text(actor, text):
        raise DomainError("forbidden", _("You may edit only drafts of the translations assigned to you."), status=403)
    cleaned = _clean_text(values)
    with transaction.atomic():
        locked = (
            StatementText.objects.select_for_update(of=("self",)).select_related("published_revision").get(pk=text.pk)
        )
        _apply(locked, cleaned)
        published = locked.published_revision
        locked.has_unpublished_changes = published is None or (
            published.sha256 != _text_sha256(locked) or published.translator_credit != locked.translator_credit
        )
        locked.save(update_fields=[*TEXT_FIELDS, "has_unpublished_changes", "updated_at"])
        audit.record(actor=actor, action="text.edited", subject=locked.statement, detail={"language": locked.language})
    return locked


def text_submit_for_review(*, actor: User | None, text: StatementText) -> StatementText:
    if actor is not None and not can_edit_text(actor, text):
        raise DomainError("forbidden", _("You may not submit this text."), status=403)
    if text.status != StatementText.Status.DRAFT:
        raise DomainError("not_a_draft", _("Only a draft can be submitted for review."))
    with transaction.atomic():
        updated = StatementText.objects.filter(pk=text.pk, status=StatementText.Status.DRAFT).update(
            status=StatementText.Status.IN_REVIEW, updated_at=timezone.now()
        )
        if not updated:
            raise DomainError("not_a_draft", _("Only a draft can be submitted for review."))
        audit.record(actor=actor, action="text.submitted", subject=text.statement, detail={"language": text.language})
    text.status = StatementText.Status.IN_REVIEW
    return text


def text_save_and_submit(*, actor: User | None, text: StatementText, values: TextInput) -> StatementText:
    """``text_save`` then ``text_submit_for_review``, as one change: when the submission is refused,
    the edit is not kept either, so the refused form leaves the text as it was."""
    with transaction.atomic():
        saved = text_save(actor=actor, text=text, values=values)
        saved.statement = text.statement
        return text_submit_for_review(actor=actor, text=saved)


def text_save_and_publish(
    *, actor: User | None, text: StatementText, values: TextInput, change_note: str = ""
) -> Revision:
    """``text_save`` then ``text_publish``, as one change: when publishing is refused (no change
    note, nothing changed, not allowed), the edit is not kept either, so the refused form leaves
    the text as it was."""
    with transaction.atomic():
        saved = text_save(actor=actor, text=text, values=values)
        saved.statement = text.statement
        return text_publish(actor=actor, text=saved, change_note=change_note)


def text_publish(*, actor: User | None, text: StatementText, change_note: str = "") -> Revision:
    """Publish the working copy as a new revision. After the first, a public change note is required.

    Safe under concurrent publishers: the text row is locked, so revision numbers never collide.
    """
    statement = text.statement
    _require_manager(actor, statement)
    change_note = change_note.strip()
    if len(change_note) > 500:
        raise DomainError("change_note_too_long", _("The change note may be at most 500 characters long."))
    with transaction.atomic():
        locked = (
            StatementText.objects.select_for_update(of=("self",)).select_related("published_revision").get(pk=text.pk)
        )
        previous = locked.published_revision
        sha256 = _text_sha256(locked)
        if previous is not None:
            if previous.sha256 == sha256 and previous.translator_credit == locked.translator_credit:
                raise DomainError("unchanged", _("Nothing has changed since the last published revision."))
            if not change_note:
                raise DomainError(
                    "change_note_required",
                    _("Say in a change note what changed: readers see it in the revision history."),
                )
        number = (previous.number + 1) if previous else 1
        revision = Revision.objects.create(
            text=locked,
            number=number,
            **{field: getattr(locked, field) for field in TEXT_FIELDS},
            change_note=change_note,
            sha256=sha256,
            published_by=actor,
        )
        locked.published_revision = revision
        locked.status = StatementText.Status.PUBLISHED
        locked.has_unpublished_changes = False
        locked.save(update_fields=["published_revision", "status", "has_unpublished_changes", "updated_at"])
        forget_statement(statement.slug)
        audit.record(
            actor=actor,
            action="text.published",
            subject=statement,
            detail={"language": locked.language, "revision": number, "sha256": sha256},
        )
    text.published_revision = revision
    text.status = locked.status
    text.has_unpublished_changes = False
    return revision


# --- The statement's life -----------------------------------------------------------------------


def statement_publish(*, actor: User | None, statement: Statement, with_translations: Sequence[str] = ()) -> Statement:
    """Make the statement public. Its original text is published too, if it was not yet, and so
    are the translations named in ``with_translations`` (languages) that have no published
    revision: all in one transaction, so readers never see the statement without them."""
    _require_manager(actor, statement)
    if statement.status != Statement.Status.DRAFT:
        raise DomainError("not_a_draft", _("This statement has already been published."))
    # Signers' contact data is sealed to the issuing body's trustees: without one it could not be kept.
    trustees = Trustee.objects.filter(is_active=True)
    if statement.commission_id is None:
        trustees = trustees.filter(commission__isnull=True)
    else:
        trustees = trustees.filter(commission_id=statement.commission_id)
    if not trustees.exists():
        raise DomainError(
            "no_trustee",
            _(
                "The issuing body has no trustee key yet, so signatures could not be stored safely. "
                "Ask the secretariat to register one (manage.py create_trustee_key)."
            ),
        )
    translations = list(
        StatementText.objects.filter(statement=statement, language__in=list(with_translations))
        .exclude(language=statement.original_language)
        .filter(published_revision__isnull=True)
    )
    if len(translations) != len(set(with_translations) - {statement.original_language}):
        raise DomainError(
            "unknown_translation", _("A translation chosen to publish does not exist or is already published.")
        )
    with transaction.atomic():
        original = StatementText.objects.get(statement=statement, language=statement.original_language)
        original.statement = statement
        if original.published_revision_id is None:
            text_publish(actor=actor, text=original)
        for translation in translations:
            translation.statement = statement
            text_publish(actor=actor, text=translation)
        changed = Statement.objects.filter(pk=statement.pk, status=Statement.Status.DRAFT).update(
            status=Statement.Status.PUBLISHED, published_at=timezone.now()
        )
        if not changed:
            raise DomainError("not_a_draft", _("This statement has already been published."))
        audit.record(actor=actor, action="statement.published", subject=statement)
        forget_statement(statement.slug)
    statement.refresh_from_db()
    return statement


def statement_close(*, actor: User | None, statement: Statement) -> Statement:
    """Stop taking sign-ons; the statement stays readable."""
    return _move(actor, statement, {Statement.Status.PUBLISHED}, Statement.Status.CLOSED, "statement.closed")


def _refuse_after_purge(statement: Statement) -> None:
    """Once its signers' personal data is purged, a statement can never take signatures again:
    nothing tells any more which addresses have signed, so each could be counted twice."""
    if Statement.objects.filter(pk=statement.pk, personal_data_purged_at__isnull=False).exists():
        raise DomainError(
            "purged",
            _(
                "Its signers' personal data has been deleted, so nothing tells any more who has signed: "
                "this statement cannot take signatures again."
            ),
            status=409,
        )


def statement_reopen(*, actor: User | None, statement: Statement) -> Statement:
    _refuse_after_purge(statement)
    return _move(actor, statement, {Statement.Status.CLOSED}, Statement.Status.PUBLISHED, "statement.reopened")


def statement_withdraw(*, actor: User | None, statement: Statement) -> Statement:
    """The issuing body no longer stands by the statement; its page says so, its text stays on record."""
    return _move(
        actor,
        statement,
        {Statement.Status.PUBLISHED, Statement.Status.CLOSED},
        Statement.Status.WITHDRAWN,
        "statement.withdrawn",
    )


def _move(actor: User | None, statement: Statement, sources: set[str], target: str, action: str) -> Statement:
    _require_manager(actor, statement)
    with transaction.atomic():
        changed = Statement.objects.filter(pk=statement.pk, status__in=sources).update(status=target)
        if not changed:
            raise DomainError("wrong_status", _("This statement cannot make that change in its present state."))
        audit.record(actor=actor, action=action, subject=statement)
        forget_statement(statement.slug)
    statement.refresh_from_db()
    return statement


def statement_set_window(
    *, actor: User | None, statement: Statement, opens_at: datetime | None, closes_at: datetime | None
) -> Statement:
    _require_manager(actor, statement)
    _check_window(opens_at, closes_at)
    _refuse_after_purge(statement)
    with transaction.atomic():
        statement.opens_at, statement.closes_at = opens_at, closes_at
        statement.save(update_fields=["opens_at", "closes_at"])
        forget_statement(statement.slug)
        audit.record(
            actor=actor,
            action="statement.window_set",
            subject=statement,
            detail={
                "opens_at": opens_at.isoformat() if opens_at else None,
                "closes_at": closes_at.isoformat() if closes_at else None,
            },
        )
    return statement


def statement_require_proof_of_work(*, actor: User | None, statement: Statement, required: bool) -> Statement:
    """For a statement under attack by bots: signing then needs the browser's proof of work."""
    _require_manager(actor, statement)
    with transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(requires_proof_of_work=required)
        forget_statement(statement.slug)
        audit.record(
            actor=actor, action="statement.proof_of_work_set", subject=statement, detail={"required": required}
        )
    statement.refresh_from_db()
    return statement


def eligible_translators(statement: Statement) -> QuerySet[User]:
    """Members of the issuing commission; for the federation as a whole, any active staff member."""
    users = User.objects.filter(is_active=True).order_by("full_name")
    if statement.commission_id is None:
        return users
    return users.filter(memberships__commission_id=statement.commission_id).distinct()


def translator_assign(*, actor: User | None, statement: Statement, language: str, translator: User) -> None:
    _require_manager(actor, statement)
    language = _check_language(language)
    if not eligible_translators(statement).filter(pk=translator.pk).exists():
        raise DomainError(
            "not_a_member", _("Translators are chosen among the active members of the issuing commission.")
        )
    with transaction.atomic():
        _assignment, created = TranslatorAssignment.objects.get_or_create(
            statement=statement, language=language, translator=translator
        )
        if created:
            audit.record(
                actor=actor,
                action="translator.assigned",
                subject=statement,
                detail={"language": language, "translator_id": translator.pk},
            )


def preview_html(values: TextInput) -> dict[str, object]:
    """What a text will look like to readers, before it is stored (for the editor's preview)."""
    cleaned = _clean_text(values)
    return {"text": cleaned, "body_html": render_markdown(cleaned.body)}
