from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from undersigned.commissions.selectors import commission_list_localised
from undersigned.core.caching import CACHE_ERRORS
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import language_direction
from undersigned.core.public_pages import shared_cacheable
from undersigned.federation.forms import FederationForm
from undersigned.federation.selectors import federation_for_editing, federation_identity
from undersigned.federation.services import federation_update
from undersigned.permissions.access import secretariat_member
from undersigned.statements.presentation import reader_language_preferences, statement_card
from undersigned.statements.selectors import statement_list_public

logger = logging.getLogger(__name__)


HOME_STATEMENTS = 10


@shared_cacheable
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    identity = federation_identity()
    language = get_language() or identity.default_language
    preferences = reader_language_preferences(request)
    statements = statement_list_public()[: HOME_STATEMENTS + 1]
    cards = [card for statement in statements if (card := statement_card(statement, preferences, language))]
    return render(
        request,
        "federation/home.html",
        {
            "commissions": commission_list_localised(language=language, default_language=identity.default_language),
            "site_configured": identity.configured,
            "cards": cards[:HOME_STATEMENTS],
            "more_statements": len(cards) > HOME_STATEMENTS,
        },
    )


@require_safe
def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """Remember the reader's interface language and go back to where they were.

    A plain link, so the switcher works without JavaScript and without a form; an unknown code
    falls back to the default language without an error.
    """
    identity = federation_identity()
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("federation:home")
    response = HttpResponseRedirect(next_url)
    if identity.offers(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and Redis, when configured) answer; 503 naming what does not.

    Served by ``HealthCheckMiddleware`` ahead of the host check, sessions and languages. Failures
    are logged here, never sent to the caller, who may be anyone on the internet.
    """
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except DatabaseError:
        logger.exception("health check: database unreachable")
        checks["database"] = "unavailable"
    if settings.REDIS_URL:
        try:
            cache.set("healthz", "ok", 10)
            checks["cache"] = "ok" if cache.get("healthz") == "ok" else "unavailable"
        except CACHE_ERRORS:
            logger.exception("health check: cache unreachable")
            checks["cache"] = "unavailable"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page in the interface language, rendered without touching the database."""
    language = get_language() or settings.LANGUAGE_CODE
    try:
        stylesheet_url = static("css/site.css")
    except ValueError:  # a missing static manifest must not turn the error page into another error
        stylesheet_url = settings.STATIC_URL + "css/site.css"
    body = loader.get_template("500.html").render(
        {
            "interface_language": language,
            "interface_direction": language_direction(language),
            "stylesheet_url": stylesheet_url,
        }
    )
    return HttpResponseServerError(body)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def federation_edit(request: HttpRequest) -> HttpResponse:
    actor = secretariat_member(request)
    federation = federation_for_editing()
    if request.method == "POST":
        form = FederationForm(request.POST, federation=federation)
        if form.is_valid():
            try:
                federation_update(
                    actor=actor,
                    default_language=form.cleaned_data["default_language"],
                    offered_languages=form.cleaned_data["offered_languages"],
                    contact_email=form.cleaned_data["contact_email"],
                    texts=form.localised_texts(),
                    members_skip_review=form.cleaned_data["members_skip_review"],
                    embed_origins=form.cleaned_data["embed_origins"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The federation's details are saved."))
                return HttpResponseRedirect(reverse("staff:federation"))
    else:
        form = FederationForm(federation=federation)
    return render(request, "federation/staff_edit.html", {"form": form}, status=400 if form.errors else 200)
