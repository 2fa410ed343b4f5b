"""``{{ statement|working_title }}``: staff pages name a statement by its title, not its slug."""

from __future__ import annotations

from django import template

from undersigned.statements.models import Statement
from undersigned.statements.selectors import statement_working_title

register = template.Library()


@register.filter
def working_title(statement: Statement) -> str:
    return statement_working_title(statement)
