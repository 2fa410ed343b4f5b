from __future__ import annotations

import pytest

from undersigned.commissions.services import CommissionTextInput, commission_create
from undersigned.core.testing import trustee_for
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update

PRESS_RELEASE = """Statement on Library Opening Hours

12 March 2025

Open libraries when people can use them!
Evenings and weekends for everyone!

The Commission on Public Libraries of the Example Federation asks that libraries open in the evening.

Students need quiet places to study – and “open” must mean open.

We call on our member organisations and on the public to endorse this statement. ###
"""

FRENCH = """Déclaration sur les horaires des bibliothèques

LYON, 12 mars 2025 —

Des bibliothèques ouvertes quand on peut y aller\u00a0!

La Commission des bibliothèques publiques demande que les bibliothèques ouvrent le soir.

Les étudiants ont besoin de lieux calmes\u00a0: «\u00a0ouvert\u00a0» doit vouloir dire ouvert.

Nous appelons le public à soutenir cette déclaration. ###
"""

ARABIC = """بيان بشأن ساعات عمل المكتبات العامة

2025-03-12

مكتبات مفتوحة حين يستطيع الناس ارتيادها!

تطالب لجنة المكتبات العامة بأن تبقى المكتبات مفتوحة في المساء.

يحتاج الطلاب إلى أماكن هادئة للدراسة.

ندعو الجمهور إلى تأييد هذا البيان. ###
"""


@pytest.fixture
def site(db):
    federation_update(
        actor=None,
        default_language="en",
        offered_languages=["en", "es", "fr", "ar"],
        contact_email="secretariat@example.org",
        texts={"en": LocalisedText(name="Example Federation", description="A neutral sample network.")},
    )
    trustee_for(None)


@pytest.fixture
def libraries(site):
    commission = commission_create(
        actor=None,
        slug="public-libraries",
        texts={
            "en": CommissionTextInput(name="Commission on Public Libraries", mandate=""),
            "fr": CommissionTextInput(name="Commission des bibliothèques publiques", mandate=""),
        },
    )
    trustee_for(commission)
    return commission


@pytest.fixture
def mobility(site):
    commission = commission_create(
        actor=None,
        slug="urban-mobility",
        texts={"en": CommissionTextInput(name="Commission on Urban Mobility", mandate="")},
    )
    trustee_for(commission)
    return commission
