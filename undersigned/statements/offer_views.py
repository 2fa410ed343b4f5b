"""The page on which a member organisation's signed-in contact offers a translation of a statement
into a language it has no text in; the editors review and publish it as any other draft."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from undersigned.core.exceptions import DomainError
from undersigned.core.languages import language_direction, native_language_name
from undersigned.core.link_pages import private
from undersigned.organisations.member_session import signed_in_member_email
from undersigned.organisations.models import Organisation
from undersigned.organisations.services.members import member_organisations_for
from undersigned.statements.forms import TranslationOfferForm
from undersigned.statements.models import Statement
from undersigned.statements.presentation import text_for_reader
from undersigned.statements.rendering import render_revision_body
from undersigned.statements.selectors import (
    PublishedText,
    published_texts,
    statement_for_reading,
    statement_languages,
)
from undersigned.statements.services import (
    OFFER_FIELD_OF_CODE,
    translation_offer_by_contact,
    translation_offer_refusal,
)


def _statement_or_404(request: HttpRequest, slug: str) -> tuple[Statement, PublishedText, PublishedText]:
    """The public statement, the text this reader reads first and the original (to translate from)."""
    try:
        statement = statement_for_reading(slug=slug)
    except DomainError:
        raise Http404 from None
    chosen = text_for_reader(request, statement)
    texts = published_texts(statement)
    original = next((text for text in texts if text.language == statement.original_language), None)
    if chosen is None or original is None:
        raise Http404
    return statement, chosen, original


@require_http_methods(["GET", "HEAD", "POST"])
def translation_offer_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Only for a member organisation's signed-in contact; anyone else is told how to sign in."""
    statement, chosen, original = _statement_or_404(request, slug)
    context: dict[str, object] = {"statement": statement, "revision": chosen.revision}
    email = signed_in_member_email(request)
    organisations = member_organisations_for(email) if email else []
    if email is None or not organisations:
        return private(render(request, "statements/offer_sign_in_needed.html", context, status=403))
    context |= {
        "original": original.revision,
        "original_html": render_revision_body(original.revision.sha256, original.revision.body),
        "original_name": native_language_name(original.language),
        "original_direction": language_direction(original.language),
    }
    refusal = translation_offer_refusal(statement)
    if refusal is not None:
        return private(render(request, "statements/offer.html", {**context, "refusal": refusal}, status=410))
    form = _form(request, statement, organisations, original)
    if request.method != "POST":
        return private(render(request, "statements/offer.html", {**context, "form": form}))
    if not form.is_valid():
        return private(render(request, "statements/offer.html", {**context, "form": form}, status=400))
    language = form.cleaned_data["language"]
    try:
        translation_offer_by_contact(
            email=email,
            statement=statement,
            organisation_id=form.cleaned_data["organisation"],
            language=language,
            text=form.text_input(),
        )
    except DomainError as error:
        if error.code in {"not_open", "archived"}:
            # Withdrawn (or archived) while the contact was writing: the page says so, without the form.
            return private(render(request, "statements/offer.html", {**context, "refusal": error}, status=error.status))
        fields = error.detail.get("fields") or {OFFER_FIELD_OF_CODE.get(error.code, ""): error.message}
        for field, message in fields.items():
            form.add_error(field if field in form.fields else None, message)
        return private(render(request, "statements/offer.html", {**context, "form": form}, status=error.status))
    messages.success(
        request,
        _(
            "Thank you: the translation into %(language)s is offered. The editors of the issuing body review it "
            "before it is published; this page shows when it is."
        )
        % {"language": native_language_name(language)},
    )
    return HttpResponseRedirect(reverse("organisations:member_home") + "#offers")


def _form(
    request: HttpRequest, statement: Statement, organisations: list[Organisation], original: PublishedText
) -> TranslationOfferForm:
    existing = statement_languages(statement.pk)
    if request.method == "POST":
        return TranslationOfferForm(request.POST, organisations=organisations, existing_languages=existing)
    return TranslationOfferForm(
        organisations=organisations,
        existing_languages=existing,
        initial={"dateline_date": original.revision.dateline_date},
    )
