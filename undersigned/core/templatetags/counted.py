"""A number with its noun, in the plural form the language wants for that number (Arabic has six):
``{{ total|signatures }}`` gives "1 signature", "2 signatures". For sentences that hold two counts,
where one ``blocktranslate count`` cannot choose both forms: each count is its own phrase, and
the sentence takes the phrases."""

from __future__ import annotations

from django import template
from django.utils.formats import localize
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def signatures(count: int) -> str:
    return ngettext("%(count)s signature", "%(count)s signatures", count) % {"count": localize(count)}


@register.filter
def organisations(count: int) -> str:
    return ngettext("%(count)s organisation", "%(count)s organisations", count) % {"count": localize(count)}


@register.filter
def sign_ons(count: int) -> str:
    return ngettext("%(count)s organisation's sign-on", "%(count)s organisations' sign-ons", count) % {
        "count": localize(count)
    }
