"""The member directory's pages: the public list of member organisations, and the secretariat's
pages under /staff/organisations/ to keep it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.accounts.models import User
from undersigned.core.exceptions import DomainError
from undersigned.core.public_pages import shared_cacheable
from undersigned.organisations.directory_forms import (
    ContactForm,
    DirectorySearchForm,
    OrganisationForm,
    OrganisationTypeForm,
    StaffDirectorySearchForm,
)
from undersigned.organisations.directory_selectors import (
    MAX_PUBLIC_ENTRIES,
    approved_sign_on_count,
    contact_of,
    countries_in_directory,
    member_directory,
    organisation_contacts,
    organisation_for_staff,
    organisation_list_for_staff,
    organisation_types,
)
from undersigned.organisations.logos import MAX_LOGO_BYTES, LogoError, logo_from_upload
from undersigned.organisations.models import Organisation
from undersigned.organisations.services.directory import (
    contact_add,
    contact_remove,
    organisation_save,
    organisation_type_add,
)
from undersigned.organisations.types import type_label
from undersigned.permissions.access import secretariat_member

STAFF_PAGE_SIZE = 50
# The logo and the form's other fields, which are at most a few kilobytes.
MAX_ENTRY_REQUEST_BYTES = MAX_LOGO_BYTES + 64 * 1024

# The form field that a service's refusal concerns; the others are shown above the form.
ENTRY_ERROR_FIELDS = {"name_required": "name", "bad_domain": "email_domains", "not_member": "member_since"}
CONTACT_ERROR_FIELDS = {"name_required": "contact_name", "bad_email": "contact_email"}


# --- Public -------------------------------------------------------------------------------------


@shared_cacheable
@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET, country_choices=countries_in_directory(members_only=True))
    filters = form.filters()
    listing = member_directory(search=filters["q"], country=filters["country"])
    return render(
        request,
        "organisations/directory/public.html",
        {"form": form, "directory": listing, "filtered": any(filters.values()), "max_entries": MAX_PUBLIC_ENTRIES},
    )


# --- Staff: the list ----------------------------------------------------------------------------


@login_required
@require_safe
def organisation_list(request: HttpRequest) -> HttpResponse:
    secretariat_member(request)
    form = StaffDirectorySearchForm(request.GET, country_choices=countries_in_directory(members_only=False))
    filters = form.filters()
    organisations = organisation_list_for_staff(
        search=filters["q"], country=filters["country"], membership=filters["member"]
    )
    page = Paginator(organisations, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(organisation, type_label(organisation.type)) for organisation in page]
    return render(
        request,
        "organisations/directory/staff_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": any(filters.values()),
            "query": urlencode({name: value for name, value in filters.items() if value}),
        },
    )


# --- Staff: an entry ----------------------------------------------------------------------------


def _organisation_or_404(pk: int) -> Organisation:
    organisation = organisation_for_staff(pk)
    if organisation is None:
        raise Http404
    return organisation


def _entry_page(
    request: HttpRequest,
    organisation: Organisation | None,
    *,
    form: OrganisationForm | None = None,
    contact_form: ContactForm | None = None,
    upload_refused: bool = False,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, object] = {
        "organisation": organisation,
        "form": form or OrganisationForm(organisation=organisation),
        "upload_refused": upload_refused,
        "max_logo_megabytes": MAX_LOGO_BYTES // (1024 * 1024),
    }
    if organisation is not None:
        context |= {
            "contacts": organisation_contacts(organisation.pk),
            "contact_form": contact_form or ContactForm(),
            "sign_on_count": approved_sign_on_count(organisation.pk),
        }
    return render(request, "organisations/directory/staff_edit.html", context, status=status)


def _entry_too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False  # Django reads no body without a valid length either
    return length > MAX_ENTRY_REQUEST_BYTES


def _save_entry(
    actor: User, organisation: Organisation | None, form: OrganisationForm, upload: UploadedFile | None
) -> Organisation:
    # logo_from_upload stores the logo before organisation_save may still refuse the entry; in one
    # transaction, a refusal leaves nothing behind.
    with transaction.atomic():
        logo = logo_from_upload(upload) if upload is not None else None
        return organisation_save(actor=actor, organisation=organisation, data=form.organisation_input(logo))


@csrf_protect
def _entry_form(request: HttpRequest, actor: User, organisation: Organisation | None) -> HttpResponse:
    if request.method != "POST":
        return _entry_page(request, organisation)
    form = OrganisationForm(request.POST, request.FILES, organisation=organisation)
    if form.is_valid():
        try:
            saved = _save_entry(actor, organisation, form, form.cleaned_data.get("logo"))
        except LogoError as error:
            form.add_error("logo", error.message)
        except DomainError as error:
            form.add_error(ENTRY_ERROR_FIELDS.get(error.code), error.message)
        else:
            messages.success(request, _("The organisation is saved."))
            return HttpResponseRedirect(reverse("staff:organisation_edit", args=[saved.pk]))
    if organisation is not None:
        organisation.refresh_from_db()  # the page shows what is stored, not what was refused
    return _entry_page(request, organisation, form=form, status=400)


def _refuse_too_large(request: HttpRequest, organisation: Organisation | None) -> HttpResponse:
    return _entry_page(request, organisation, upload_refused=True, status=413)


# The CSRF middleware reads the whole request body to find the token, so these two views are exempt
# from it and check the token themselves (``_entry_form``) once the size is known to be small:
# an oversized upload is refused unread.
@csrf_exempt
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_new(request: HttpRequest) -> HttpResponse:
    actor = secretariat_member(request)
    if request.method == "POST" and _entry_too_large(request):
        return _refuse_too_large(request, None)
    return _entry_form(request, actor, None)


@csrf_exempt
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = secretariat_member(request)
    organisation = _organisation_or_404(pk)
    if request.method == "POST" and _entry_too_large(request):
        return _refuse_too_large(request, organisation)
    return _entry_form(request, actor, organisation)


# --- Staff: contacts ----------------------------------------------------------------------------


@login_required
@require_POST
def contact_new(request: HttpRequest, pk: int) -> HttpResponse:
    actor = secretariat_member(request)
    organisation = _organisation_or_404(pk)
    form = ContactForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            contact_add(
                actor=actor,
                organisation=organisation,
                name=form.cleaned_data["contact_name"],
                role=form.cleaned_data["contact_role"],
                email=form.cleaned_data["contact_email"],
            )
        except DomainError as error:
            form.add_error(CONTACT_ERROR_FIELDS.get(error.code), error.message)
            status = error.status
        else:
            messages.success(request, _("The contact is added; their details are sealed for the trustees."))
            return HttpResponseRedirect(reverse("staff:organisation_edit", args=[organisation.pk]) + "#contacts")
    return _entry_page(request, organisation, contact_form=form, status=status)


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    actor = secretariat_member(request)
    contact = contact_of(pk, contact_pk)
    if contact is None:
        raise Http404
    contact_remove(actor=actor, contact=contact)
    messages.success(request, _("The contact is removed."))
    return HttpResponseRedirect(reverse("staff:organisation_edit", args=[pk]) + "#contacts")


# --- Staff: types -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def type_list(request: HttpRequest) -> HttpResponse:
    actor = secretariat_member(request)
    form = OrganisationTypeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            added = organisation_type_add(actor=actor, name=form.cleaned_data["name"])
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, _("“%(type)s” is added to the types.") % {"type": type_label(added)})
            return HttpResponseRedirect(reverse("staff:organisation_types"))
    return render(
        request,
        "organisations/directory/staff_types.html",
        {"form": form, "types": organisation_types()},
        status=400 if form.errors else 200,
    )
