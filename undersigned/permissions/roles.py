"""Who may do what with a statement: the one table of roles and what each allows, and the
predicates built on it.

The secretariat may do everything. Anyone else acts through a role in the statement's issuing
commission (``CommissionMembership``); statements of the federation as a whole are the
secretariat's alone. Translators act through per-statement assignments instead (see
``can_edit_text``).

| capability     | editor | moderator | viewer | translator |
| -------------- | ------ | --------- | ------ | ---------- |
| view           | yes    | yes       | yes    | assigned statements only |
| moderate       | yes    | yes       |        |            |
| manage         | yes    |           |        |            |
| export         | yes    |           |        |            |
| see deliveries | yes    | yes       | yes    |            |
| deliver        | yes    |           |        |            |
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q, QuerySet

from undersigned.accounts.models import User
from undersigned.commissions.models import Commission, CommissionMembership
from undersigned.statements.models import Statement, StatementText, TranslatorAssignment

Role = CommissionMembership.Role


class Capability(StrEnum):
    VIEW = "view"  # the staff overview of a statement: texts, counts, history; no personal data
    MODERATE = "moderate"  # review organisations' sign-ons, invalidate or restore signatures
    MANAGE = "manage"  # edit, publish, close, translations, milestones
    EXPORT = "export"  # download the sealed export of signers' contact data
    # The statement's targets (without their addresses), deliveries and responses, read only.
    # Not for translators: who the statement goes to is no part of translating it.
    SEE_DELIVERIES = "see_deliveries"
    DELIVER = "deliver"  # targets and their addresses, the covering text, delivering, recording responses


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.EDITOR: frozenset(Capability),
    Role.MODERATOR: frozenset({Capability.VIEW, Capability.MODERATE, Capability.SEE_DELIVERIES}),
    Role.VIEWER: frozenset({Capability.VIEW, Capability.SEE_DELIVERIES}),
    Role.TRANSLATOR: frozenset(),
}

# Roles whose pages show anything about signers or contacts: these must sign in with a second factor.
SECOND_FACTOR_ROLES = frozenset({Role.EDITOR, Role.MODERATOR})


def roles_granting(capability: Capability) -> list[str]:
    return [role for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities]


def commissions_where(actor: User, capability: Capability) -> QuerySet[CommissionMembership, int]:
    """Ids of the commissions in which ``actor`` has ``capability`` (for a subquery)."""
    return CommissionMembership.objects.filter(user=actor, role__in=roles_granting(capability)).values_list(
        "commission_id", flat=True
    )


def _roles_of(actor: User) -> dict[int, str]:
    """The actor's role in each commission, read once per user object (that is, once per request):
    a staff page asks several times, for each of its texts and links."""
    roles: dict[int, str] | None = actor.__dict__.get("_commission_roles")
    if roles is None:
        roles = dict(CommissionMembership.objects.filter(user=actor).values_list("commission_id", "role"))
        actor.__dict__["_commission_roles"] = roles
    return roles


def can(actor: User, capability: Capability, statement: Statement) -> bool:
    """Whether ``actor``'s role allows ``capability`` on ``statement``. Translator assignments
    count for nothing here: see ``may_see_statement`` and ``can_edit_text``."""
    if not actor.is_active:
        return False
    if actor.is_secretariat:
        return True
    if statement.commission_id is None:
        return False
    role = _roles_of(actor).get(statement.commission_id)
    return role is not None and capability in ROLE_CAPABILITIES[role]


def users_with(capability: Capability, statement: Statement) -> QuerySet[User]:
    """The active staff whose role allows ``capability`` on ``statement`` (as ``can`` decides)."""
    in_commission = Q(
        memberships__commission_id=statement.commission_id, memberships__role__in=roles_granting(capability)
    )
    chosen = Q(is_secretariat=True) | in_commission if statement.commission_id is not None else Q(is_secretariat=True)
    return User.objects.filter(chosen, is_active=True).distinct().order_by("pk")


def is_assigned_translator(actor: User, statement: Statement, language: str | None = None) -> bool:
    assignments = TranslatorAssignment.objects.filter(statement_id=statement.pk, translator=actor)
    if language is not None:
        assignments = assignments.filter(language=language)
    return assignments.exists()


def may_see_statement(actor: User, statement: Statement) -> bool:
    """Whether ``actor`` may know that the statement exists at all on the staff pages."""
    return can(actor, Capability.VIEW, statement) or is_assigned_translator(actor, statement)


def can_manage_statement(actor: User, statement: Statement) -> bool:
    """Editors of the issuing commission and the secretariat; federation-wide statements: secretariat."""
    return can(actor, Capability.MANAGE, statement)


def can_moderate_statement(actor: User, statement: Statement) -> bool:
    return can(actor, Capability.MODERATE, statement)


def can_translate(actor: User, statement: Statement, language: str | None = None) -> bool:
    """Managers work on the texts in every language; an assigned translator in theirs (in any
    language assigned to them, without ``language``)."""
    return can_manage_statement(actor, statement) or is_assigned_translator(actor, statement, language)


def can_edit_text(actor: User, text: StatementText) -> bool:
    """Managers edit any text; an assigned translator edits only the draft in their language."""
    if can_manage_statement(actor, text.statement):
        return True
    return text.status == StatementText.Status.DRAFT and is_assigned_translator(actor, text.statement, text.language)


def can_issue_for(actor: User, commission: Commission | None) -> bool:
    """Whether ``actor`` may issue a new statement in the name of ``commission``: those who would
    manage it. None is the federation as a whole, whose statements are the secretariat's alone."""
    if not actor.is_active:
        return False
    if actor.is_secretariat:
        return True
    return commission is not None and commissions_where(actor, Capability.MANAGE).filter(commission=commission).exists()


def moderates_anything(actor: User) -> bool:
    return actor.is_secretariat or commissions_where(actor, Capability.MODERATE).exists()
