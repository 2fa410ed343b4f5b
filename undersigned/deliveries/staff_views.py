"""The delivery page of a statement in the staff workspace: targets, delivering (covering text,
preview, confirmation), each recipient's mail, and the responses. Editors act; viewers and
moderators see it read only (without the targets' addresses); translators do not see it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.accounts.models import User
from undersigned.actions.selectors import action_counts
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import native_language_name
from undersigned.deliveries.forms import ConfirmDeliveryForm, CoveringTextForm, ResponseForm, TargetForm
from undersigned.deliveries.models import DeliveryRecipient, Target
from undersigned.deliveries.selectors import active_targets, deliveries_for_staff, responses_of
from undersigned.deliveries.services import (
    DeliveryPlan,
    ResponseInput,
    TargetInput,
    delivery_create,
    delivery_plan,
    recipient_retry_now,
    response_record,
    target_add,
    target_edit,
    target_email,
    target_remove,
)
from undersigned.permissions.access import access_statement, staff_member
from undersigned.permissions.roles import Capability, can
from undersigned.statements.models import Statement


def _page_url(statement: Statement, anchor: str = "") -> str:
    return reverse("staff:delivery", args=[statement.slug]) + (f"#{anchor}" if anchor else "")


def _covering_form(statement: Statement, data: Any = None) -> CoveringTextForm:
    """The covering text's form, offering to mention the statement's solidarity actions when it has
    approved ones (counted as the signed statement counts them)."""
    return CoveringTextForm(data, actions=action_counts(statement.pk), auto_id="covering_%s")


def _page(request: HttpRequest, actor: User, statement: Statement, *, status: int = 200, **forms: Any) -> HttpResponse:
    deliverer = can(actor, Capability.DELIVER, statement)
    targets = list(active_targets(statement.pk))
    return render(
        request,
        "deliveries/staff/page.html",
        {
            "statement": statement,
            "deliverer": deliverer,
            "targets": [
                {
                    "target": target,
                    "language_name": native_language_name(target.language),
                    "email": target_email(target) if deliverer else "",
                }
                for target in targets
            ],
            "deliveries": deliveries_for_staff(statement.pk),
            "responses": responses_of(statement.pk),
            "target_form": forms.get("target_form") or TargetForm(auto_id="target_%s"),
            "covering_form": forms.get("covering_form") or (_covering_form(statement) if deliverer else None),
            "response_form": forms.get("response_form")
            or ResponseForm(targets=Target.objects.filter(statement=statement), auto_id="response_%s"),
        },
        status=status,
    )


@login_required
@require_safe
def delivery_page(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.SEE_DELIVERIES)
    return _page(request, actor, statement)


def _target_input(data: dict[str, Any]) -> TargetInput:
    return TargetInput(
        name=data["name"],
        role=data["role"],
        organisation=data["organisation"],
        email=data["email"],
        language=data["language"],
    )


@login_required
@require_POST
def target_add_view(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.DELIVER)
    form = TargetForm(request.POST, auto_id="target_%s")
    if form.is_valid():
        try:
            target_add(actor=actor, statement=statement, target=_target_input(form.cleaned_data))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The target is added."))
            return HttpResponseRedirect(_page_url(statement, "targets"))
    return _page(request, actor, statement, status=400, target_form=form)


def _target_or_404(statement: Statement, pk: int) -> Target:
    target = Target.objects.filter(pk=pk, statement=statement, removed_at__isnull=True).first()
    if target is None:
        raise Http404
    target.statement = statement
    return target


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def target_edit_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.DELIVER)
    target = _target_or_404(statement, pk)
    status = 200
    if request.method == "POST":
        form = TargetForm(request.POST, editing=True)
        if form.is_valid():
            try:
                target_edit(actor=actor, target=target, changed=_target_input(form.cleaned_data))
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The target is saved."))
                return HttpResponseRedirect(_page_url(statement, "targets"))
        status = 400
    else:
        form = TargetForm(
            editing=True,
            initial={
                "name": target.name,
                "role": target.role,
                "organisation": target.organisation,
                "language": target.language,
            },
        )
    return render(
        request,
        "deliveries/staff/target.html",
        {"statement": statement, "target": target, "form": form, "email": target_email(target)},
        status=status,
    )


@login_required
@require_POST
def target_remove_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.DELIVER)
    target_remove(actor=actor, target=_target_or_404(statement, pk))
    messages.success(request, _("The target is removed: it gets no further delivery."))
    return HttpResponseRedirect(_page_url(statement, "targets"))


@login_required
@require_POST
def delivery_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Every mail as its target will get it, before anything is sent."""
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.DELIVER)
    form = _covering_form(statement, request.POST)
    if form.is_valid():
        try:
            plan = delivery_plan(
                actor=actor,
                statement=statement,
                covering_text=form.cleaned_data["covering_text"],
                mention_actions=form.cleaned_data.get("mention_actions", False),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return _preview(request, statement, plan_form(plan), plan)
    return _page(request, actor, statement, status=400, covering_form=form)


def plan_form(plan: DeliveryPlan) -> ConfirmDeliveryForm:
    return ConfirmDeliveryForm(
        initial={
            "covering_text": plan.covering_text,
            "seen_deliveries": plan.seen_deliveries,
            "mention_actions": plan.mention_actions,
        },
        auto_id="confirm_%s",
    )


def _preview(
    request: HttpRequest, statement: Statement, form: ConfirmDeliveryForm, plan: DeliveryPlan, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "deliveries/staff/preview.html",
        {
            "statement": statement,
            "plan": plan,
            "form": form,
            "recipients": [
                {
                    "preview": recipient,
                    "language_name": native_language_name(recipient.target.language),
                    "text_language_name": native_language_name(recipient.text_language),
                    "to": recipient.message.to[0],
                }
                for recipient in plan.recipients
            ],
        },
        status=status,
    )


@login_required
@require_POST
def delivery_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.DELIVER)
    form = ConfirmDeliveryForm(request.POST, auto_id="confirm_%s")
    if not form.is_valid():
        return _page(request, actor, statement, status=400, covering_form=_covering_form(statement, request.POST))
    data = form.cleaned_data
    try:
        delivery = delivery_create(
            actor=actor,
            statement=statement,
            covering_text=data["covering_text"],
            seen_deliveries=data["seen_deliveries"],
            again_today=data["again_today"],
            mention_actions=data["mention_actions"],
        )
    except DomainError as error:
        if error.code == "delivered_meanwhile":
            messages.error(request, error.message)
            return HttpResponseRedirect(_page_url(statement, "deliveries"))
        try:
            plan = delivery_plan(
                actor=actor,
                statement=statement,
                covering_text=data["covering_text"],
                mention_actions=data["mention_actions"],
            )
        except DomainError as plan_error:
            form.add_error(None, plan_error.message)
            return _page(request, actor, statement, status=400, covering_form=_covering_form(statement, request.POST))
        form.add_error(None, error.message)
        return _preview(request, statement, form, plan, status=400)
    messages.success(
        request,
        _("Delivered: %(count)s mail(s) are queued. Their state is shown below.")
        % {"count": delivery.recipients.count()},
    )
    return HttpResponseRedirect(_page_url(statement, "deliveries"))


@login_required
@require_POST
def recipient_retry(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.DELIVER)
    recipient = (
        DeliveryRecipient.objects.filter(pk=pk, delivery__statement=statement)
        .select_related("target", "delivery")
        .first()
    )
    if recipient is None:
        raise Http404
    recipient.delivery.statement = statement
    try:
        recipient_retry_now(actor=actor, recipient=recipient)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The mail is queued again."))
    return HttpResponseRedirect(_page_url(statement, "deliveries"))


@login_required
@require_POST
def response_add(request: HttpRequest, slug: str) -> HttpResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.DELIVER)
    form = ResponseForm(request.POST, targets=Target.objects.filter(statement=statement), auto_id="response_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            response_record(
                actor=actor,
                statement=statement,
                response=ResponseInput(
                    target_id=data["target"].pk if data["target"] else None,
                    who=data["who"],
                    responded_on=data["responded_on"],
                    text=data["text"],
                    link=data["link"],
                    language=data["language"],
                ),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The answer is recorded and shown on the statement page."))
            return HttpResponseRedirect(_page_url(statement, "responses"))
    return _page(request, actor, statement, status=400, response_form=form)
