"""The editors' review queue of reported solidarity actions: approve, reject with a reason, or
correct a description, blur or remove a photo, for the statements they moderate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from undersigned.accounts.models import User
from undersigned.actions.forms import ActionDescriptionForm, ActionPhotoForm, ActionReviewForm
from undersigned.actions.models import SolidarityAction
from undersigned.actions.selectors import action_queue, actions_with_photos_shown
from undersigned.actions.services import (
    action_edit_description,
    action_photo_blur,
    action_photo_remove,
    actions_approve,
    actions_reject,
)
from undersigned.core.exceptions import DomainError
from undersigned.permissions.access import staff_member
from undersigned.permissions.roles import moderates_anything
from undersigned.statements.selectors import statement_working_titles_load


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def action_queue_page(request: HttpRequest) -> HttpResponse:
    actor = staff_member(request)
    if not moderates_anything(actor):
        raise PermissionDenied
    actions = action_queue(actor)
    shown_with_photos = actions_with_photos_shown(actor)
    choices = [action.pk for action in actions]
    review_form = ActionReviewForm(choices=choices)
    description_form: ActionDescriptionForm | None = None
    photo_form: ActionPhotoForm | None = None
    if request.method == "POST":
        if "photo_of" in request.POST:
            with_photos = [action for action in [*actions, *shown_with_photos] if action.photo_id is not None]
            photo_form = ActionPhotoForm(request.POST, choices=[action.pk for action in with_photos])
            if _change_photo(request, actor, photo_form, with_photos):
                return HttpResponseRedirect(request.get_full_path())
        elif "edit" in request.POST:
            description_form = ActionDescriptionForm(request.POST, choices=choices)
            if _edit_description(request, actor, description_form, actions):
                return HttpResponseRedirect(request.get_full_path())
        else:
            review_form = ActionReviewForm(request.POST, choices=choices)
            if _decide(request, actor, review_form):
                return HttpResponseRedirect(request.get_full_path())
    # The page names each statement by its title: found for all of them in one query.
    statement_working_titles_load([action.statement for action in [*actions, *shown_with_photos]])
    failed = (
        review_form.errors
        or (description_form is not None and description_form.errors)
        or (photo_form is not None and photo_form.errors)
    )
    return render(
        request,
        "actions/staff/queue.html",
        {
            "actions": actions,
            "form": review_form,
            "description_form": description_form,
            "photo_form": photo_form,
            "shown_with_photos": shown_with_photos,
            "editing": _editing(description_form),
        },
        status=400 if failed else 200,
    )


def _editing(form: ActionDescriptionForm | None) -> int | None:
    """The action whose description the editor just sent and must see again with its message."""
    if form is None or not form.errors:
        return None
    try:
        return int(form.data.get("edit", ""))
    except ValueError:
        return None


def _decide(request: HttpRequest, actor: User, form: ActionReviewForm) -> bool:
    """Approves or rejects the chosen actions; True when done, else the form holds why not."""
    if not form.is_valid():
        return False
    try:
        if form.cleaned_data["action"] == "approve":
            outcome = actions_approve(actor=actor, action_ids=form.cleaned_data["chosen"])
            done = ngettext("%(count)d action approved.", "%(count)d actions approved.", outcome.changed)
        else:
            outcome = actions_reject(
                actor=actor, action_ids=form.cleaned_data["chosen"], reason=form.cleaned_data["reason"]
            )
            done = ngettext("%(count)d action rejected.", "%(count)d actions rejected.", outcome.changed)
    except DomainError as error:
        form.add_error("reason" if error.code.startswith("reason") else None, error.message)
        return False
    messages.success(request, done % {"count": outcome.changed})
    if outcome.skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)d was no longer waiting for review and was left as it was.",
                "%(count)d were no longer waiting for review and were left as they were.",
                outcome.skipped,
            )
            % {"count": outcome.skipped},
        )
    return True


def _edit_description(
    request: HttpRequest, actor: User, form: ActionDescriptionForm, actions: list[SolidarityAction]
) -> bool:
    """Saves the corrected description; True when done, else the form holds why not."""
    if not form.is_valid():
        if "edit" in form.errors:
            form.add_error(None, _("This action is no longer waiting for review."))
        return False
    action = next(item for item in actions if item.pk == form.cleaned_data["edit"])
    try:
        action_edit_description(actor=actor, action=action, description=form.cleaned_data["description"])
    except DomainError as error:
        form.add_error("description" if error.code == "invalid" else None, error.message)
        return False
    messages.success(request, _("The description was saved."))
    return True


def _change_photo(
    request: HttpRequest, actor: User, form: ActionPhotoForm, with_photos: list[SolidarityAction]
) -> bool:
    """Blurs or removes the chosen action's photo; True when done, else the form holds why not."""
    if not form.is_valid():
        if "photo_of" in form.errors:
            form.add_error(None, _("This action has no photo any more, or is no longer shown."))
        return False
    action = next(item for item in with_photos if item.pk == form.cleaned_data["photo_of"])
    blur = form.cleaned_data["change"] == "blur"
    try:
        if blur:
            action_photo_blur(actor=actor, action=action)
        else:
            action_photo_remove(actor=actor, action=action)
    except DomainError as error:
        form.add_error(None, error.message)
        return False
    messages.success(request, _("The photo was blurred.") if blur else _("The photo was removed."))
    return True
