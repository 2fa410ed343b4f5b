"""The editor workspace for statements, under /staff/statements/."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.accounts.models import User
from undersigned.commissions.models import Commission
from undersigned.core.audit import events_for
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import language_direction, native_language_name
from undersigned.core.models import AuditEvent
from undersigned.federation.selectors import federation_identity
from undersigned.ledger.models import Milestone
from undersigned.organisations.models import Organisation
from undersigned.permissions.access import access_statement, access_text, staff_member
from undersigned.permissions.roles import (
    Capability,
    can,
    can_edit_text,
    can_manage_statement,
    can_moderate_statement,
    can_translate,
    commissions_where,
)
from undersigned.statements.embeds import embed_snippets
from undersigned.statements.forms import (
    ImportForm,
    LanguageChoiceForm,
    TextForm,
    TranslatorAssignmentForm,
    WindowForm,
)
from undersigned.statements.models import Statement, StatementText
from undersigned.statements.presentation import issuing_body_name, long_date
from undersigned.statements.rendering import render_markdown
from undersigned.statements.selectors import statement_list_for_staff
from undersigned.statements.services import (
    eligible_translators,
    statement_close,
    statement_import,
    statement_publish,
    statement_reopen,
    statement_require_proof_of_work,
    statement_set_window,
    statement_withdraw,
    text_save,
    text_save_and_publish,
    text_save_and_submit,
    translation_add,
    translation_offer_decline,
    translator_assign,
)

STAFF_PAGE_SIZE = 50

# The longest a text's language code is stored (StatementText.language).
MAX_LANGUAGE_CODE = 16


def _language() -> str:
    return get_language() or federation_identity().default_language


def _issuing_bodies(actor: User) -> list[tuple[str, str]]:
    language = _language()
    commissions = Commission.objects.prefetch_related("texts").order_by("slug")
    if not actor.is_secretariat:
        commissions = commissions.filter(pk__in=commissions_where(actor, Capability.MANAGE))
    bodies = [(commission.slug, issuing_body_name(commission, language)) for commission in commissions]
    if actor.is_secretariat:
        bodies.insert(0, ("federation", _("The federation as a whole")))
    return bodies


@login_required
@require_safe
def statement_list(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    language = _language()
    page = Paginator(statement_list_for_staff(actor=actor), STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "statement": statement,
            "title": next(
                (text.title for text in statement.texts.all() if text.language == statement.original_language), ""
            ),
            "issuing_body": issuing_body_name(statement.commission, language),
            "languages": sorted(text.language for text in statement.texts.all()),
        }
        for statement in page
    ]
    return render(
        request,
        "statements/staff/list.html",
        {"rows": rows, "page": page, "can_create": bool(_issuing_bodies(actor))},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def statement_new(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    bodies = _issuing_bodies(actor)
    if not bodies:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, bodies=bodies, initial={"language": _language()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        commission = None if data["commission"] == "federation" else Commission.objects.get(slug=data["commission"])
        try:
            statement = statement_import(
                actor=actor,
                commission=commission,
                slug=data["slug"],
                language=data["language"],
                source=data["source"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
            )
        except DomainError as error:
            field = {
                "slug_taken": "slug",
                "invalid_slug": "slug",
                "slug_required": "slug",
                "import_refused": "source",
                "window_order": "closes_at",
                "unknown_language": "language",
            }.get(error.code)
            form.add_error(field, error.message)
        else:
            messages.success(request, _("The statement is imported as a draft. Check how it was read, then publish."))
            return HttpResponseRedirect(
                reverse("staff:statement_text", args=[statement.slug, statement.original_language])
            )
    return render(request, "statements/staff/new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_safe
def statement_overview(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.VIEW)
    texts = list(statement.texts.select_related("published_revision", "offered_by").order_by("language"))
    rows = [
        {
            "text": text,
            "name": native_language_name(text.language),
            "direction": language_direction(text.language),
            "editable": can_edit_text(actor, text),
        }
        for text in texts
    ]
    manager = can_manage_statement(actor, statement)
    events = list(events_for(statement).order_by("-created_at")[:50])
    _name_offering_organisations(events)
    translators = eligible_translators(statement)
    return render(
        request,
        "statements/staff/overview.html",
        {
            "statement": statement,
            "milestones": list(Milestone.objects.filter(statement=statement)),
            "issuing_body": issuing_body_name(statement.commission, _language()),
            "texts": rows,
            # Asked about when the statement is published (a translation finished before then
            # would otherwise stay a draft without anyone being told).
            "unpublished_translations": [
                row
                for row, text in zip(rows, texts, strict=True)
                if text.language != statement.original_language and text.published_revision_id is None
            ],
            "manager": manager,
            "moderator": can_moderate_statement(actor, statement),
            "exporter": can(actor, Capability.EXPORT, statement),
            "sees_deliveries": can(actor, Capability.SEE_DELIVERIES, statement),
            # Several forms on one page: distinct ids keep every label tied to its own field.
            "translation_form": LanguageChoiceForm(exclude=[text.language for text in texts], auto_id="translation_%s"),
            "assignment_form": TranslatorAssignmentForm(translators=translators, auto_id="assign_%s"),
            "assignments": statement.translator_assignments.select_related("translator").order_by("language"),
            "my_missing_translations": [
                {"code": assignment.language, "name": native_language_name(assignment.language)}
                for assignment in statement.translator_assignments.filter(translator=actor)
                if assignment.language not in {text.language for text in texts}
            ],
            "window_form": WindowForm(
                initial={"opens_at": statement.opens_at, "closes_at": statement.closes_at}, auto_id="window_%s"
            ),
            "events": events,
            # Offered and never published: the editors' to review, publish or decline.
            "offers_waiting": [
                row
                for row, text in zip(rows, texts, strict=True)
                if text.offered_by_id is not None and text.published_revision_id is None
            ],
            "embed_snippets": embed_snippets(statement),
        },
    )


def _name_offering_organisations(events: list[AuditEvent]) -> None:
    """An offer has no staff member behind it: its line in the record names the organisation."""
    offered = [event for event in events if event.action == "text.offered"]
    ids = {event.detail.get("organisation") for event in offered}
    names = dict(
        Organisation.objects.filter(pk__in=[pk for pk in ids if isinstance(pk, int)]).values_list("pk", "name")
    )
    for event in offered:
        event.offered_by_name = names.get(event.detail.get("organisation"), "")  # type: ignore[attr-defined]


STATEMENT_ACTIONS = {
    "close": (
        statement_close,
        gettext_lazy("The statement is closed: it stays readable but takes no more signatures."),
    ),
    "reopen": (statement_reopen, gettext_lazy("The statement takes signatures again.")),
    "withdraw": (statement_withdraw, gettext_lazy("The statement is withdrawn.")),
}


@login_required
@require_POST
def statement_action(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.MANAGE)
    action = request.POST.get("action", "")
    try:
        if action == "publish":
            statement_publish(actor=actor, statement=statement, with_translations=request.POST.getlist("translations"))
            messages.success(request, _("The statement is published."))
        elif action in STATEMENT_ACTIONS:
            service, done = STATEMENT_ACTIONS[action]
            service(actor=actor, statement=statement)
            messages.success(request, str(done))
        elif action in {"require_proof_of_work", "drop_proof_of_work"}:
            statement_require_proof_of_work(
                actor=actor, statement=statement, required=action == "require_proof_of_work"
            )
            messages.success(request, _("The bot check for signers is saved."))
        elif action == "window":
            window = WindowForm(request.POST)
            if not window.is_valid():
                raise DomainError("invalid_window", _("Enter dates and times as YYYY-MM-DD HH:MM."))
            statement_set_window(
                actor=actor,
                statement=statement,
                opens_at=window.cleaned_data["opens_at"],
                closes_at=window.cleaned_data["closes_at"],
            )
            messages.success(request, _("The sign-on window is saved."))
        elif action == "assign":
            assignment = TranslatorAssignmentForm(request.POST, translators=eligible_translators(statement))
            if not assignment.is_valid():
                raise DomainError("invalid_assignment", _("Choose a translator and a language."))
            translator_assign(
                actor=actor,
                statement=statement,
                language=assignment.cleaned_data["language"],
                translator=assignment.cleaned_data["translator"],
            )
            messages.success(request, _("The translator is assigned."))
        elif action == "decline_offer":
            language = request.POST.get("language", "")
            # PostgreSQL refuses a NUL in a query's text, and no language code has one.
            text = None if "\x00" in language else statement.texts.filter(language=language).first()
            if text is None:
                raise DomainError("not_an_offer", _("This translation is not there any more."))
            text.statement = statement
            translation_offer_decline(actor=actor, text=text)
            messages.success(request, _("The offered translation is declined and deleted."))
        else:
            raise DomainError("unknown_action", _("Unknown action."))
    except DomainError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(reverse("staff:statement", args=[statement.slug]))


def _original_for(statement: Statement, language: str) -> StatementText | None:
    if language == statement.original_language:
        return None
    return statement.texts.filter(language=statement.original_language).first()


def _preview(form: TextForm, language: str) -> dict[str, object] | None:
    if not form.is_valid():
        return None
    values = form.text_input()
    return {
        "language": language,
        "direction": language_direction(language),
        "revision": values,
        "body_html": render_markdown(values.body),
        "dateline": ", ".join(
            part for part in (values.dateline_place, long_date(values.dateline_date, language)) if part
        ),
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def translation_new(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.VIEW)
    if not can_translate(actor, statement):
        raise PermissionDenied
    language = (request.POST.get("language") or request.GET.get("language") or "").strip()
    if "\x00" in language or len(language) > MAX_LANGUAGE_CODE:
        # No language code is like this, and PostgreSQL refuses a NUL in a query's text.
        messages.error(request, _("Choose a language this statement has no text in yet."))
        return HttpResponseRedirect(reverse("staff:statement", args=[slug]))
    if statement.texts.filter(language=language).exists():
        return HttpResponseRedirect(reverse("staff:statement_text", args=[slug, language]))
    chooser = LanguageChoiceForm(
        {"language": language}, exclude=list(statement.texts.values_list("language", flat=True))
    )
    if not chooser.is_valid():
        messages.error(request, _("Choose a language this statement has no text in yet."))
        return HttpResponseRedirect(reverse("staff:statement", args=[slug]))
    if not can_translate(actor, statement, language):
        raise PermissionDenied
    form = TextForm(request.POST if "title" in request.POST else None, language=language)
    if form.is_bound and form.is_valid():
        try:
            translation_add(actor=actor, statement=statement, language=language, text=form.text_input())
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The translation is saved as a draft."))
            return HttpResponseRedirect(reverse("staff:statement_text", args=[slug, language]))
    return _text_page(request, statement, None, language, form, preview=None, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def text_edit(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    actor = staff_member(request)
    text = access_text(actor=actor, slug=slug, language=language)
    statement = text.statement
    if request.method != "POST":
        form = TextForm(initial=TextForm.initial_from(text), language=language)
        return _text_page(request, statement, text, language, form, preview=None)
    form = TextForm(request.POST, language=language)
    action = request.POST.get("action", "save")
    if action == "preview":
        return _text_page(request, statement, text, language, form, preview=_preview(form, language))
    if form.is_valid():
        try:
            if action == "submit":
                text_save_and_submit(actor=actor, text=text, values=form.text_input())
                messages.success(request, _("The text is saved and submitted for review."))
            elif action == "publish":
                revision = text_save_and_publish(
                    actor=actor, text=text, values=form.text_input(), change_note=form.cleaned_data["change_note"]
                )
                messages.success(request, _("Revision %(number)s is published.") % {"number": revision.number})
            else:
                text_save(actor=actor, text=text, values=form.text_input())
                messages.success(request, _("The text is saved. Readers see it once it is published."))
        except DomainError as error:
            form.add_error("change_note" if error.code == "change_note_required" else None, error.message)
        else:
            return HttpResponseRedirect(reverse("staff:statement_text", args=[slug, language]))
    return _text_page(request, statement, text, language, form, preview=None, status=400)


def _text_page(
    request: HttpRequest,
    statement: Statement,
    text: StatementText | None,
    language: str,
    form: TextForm,
    *,
    preview: dict[str, object] | None,
    status: int = 200,
) -> HttpResponse:
    actor = staff_member(request)
    original = _original_for(statement, language)
    return render(
        request,
        "statements/staff/text.html",
        {
            "statement": statement,
            "text": text,
            "language": language,
            "language_name": native_language_name(language),
            "direction": language_direction(language),
            "form": form,
            "original": original,
            "original_html": render_markdown(original.body) if original else "",
            "original_direction": language_direction(statement.original_language),
            "original_name": native_language_name(statement.original_language),
            "preview": preview,
            "manager": can_manage_statement(actor, statement),
            "published_before": bool(text and text.published_revision_id),
        },
        status=status,
    )
