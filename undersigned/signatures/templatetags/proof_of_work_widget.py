"""The proof-of-work widget's texts, from our own catalogue, for the sign form to hand to it.

The widget (static/vendor/altcha/) ships language files for a few languages only; taking its texts
from our catalogue translates it into every interface language and spares the page those files.
"""

from __future__ import annotations

import json

from django import template
from django.utils.translation import gettext, pgettext

register = template.Library()


def widget_strings() -> dict[str, str]:
    """The texts the widget shows for our challenges, by its own keys. The rest of its keys are for
    challenges our server never sends (a code to type, audio) and for its footer, which is hidden."""
    return {
        # Translators: beside the sign form's check against bots, which the browser does by itself.
        "label": pgettext("proof of work", "I am not a bot"),
        "verifying": pgettext("proof of work", "Verifying…"),
        "verified": pgettext("proof of work", "Verified"),
        "waitAlert": pgettext("proof of work", "Verifying… please wait."),
        "error": pgettext("proof of work", "Verification failed. Try again later."),
        "expired": pgettext("proof of work", "Verification expired. Try again."),
        # Translators: what a screen reader says of the widget's logo, a link to its maker's site.
        "ariaLinkLabel": gettext("ALTCHA (official website)"),
    }


@register.simple_tag
def proof_of_work_strings() -> str:
    """JSON for the widget's ``data-strings`` attribute (escaped by the template, as any value)."""
    return json.dumps(widget_strings(), ensure_ascii=False)
