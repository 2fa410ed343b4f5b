from __future__ import annotations

from undersigned.testing import libraries, mobility, site  # noqa: F401  (fixtures, also re-exported)

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
