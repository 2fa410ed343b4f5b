"""The staff workspace: pages of each domain that only signed-in staff reach, under /staff/."""

from django.urls import path

from undersigned.accounts import views as account_views
from undersigned.actions import staff_views as action_views
from undersigned.commissions import views as commission_views
from undersigned.deliveries.staff_urls import staff_patterns as delivery_patterns
from undersigned.federation import views as federation_views
from undersigned.ledger import staff_views as ledger_views
from undersigned.organisations import staff_views as organisation_views
from undersigned.organisations.directory_urls import staff_patterns as directory_patterns
from undersigned.privacy.staff_urls import staff_patterns as privacy_patterns
from undersigned.signatures import export_views as signature_export_views
from undersigned.signatures import staff_views as signature_views
from undersigned.statements import staff_views as statement_views

app_name = "staff"
urlpatterns = [
    path("", account_views.dashboard, name="dashboard"),
    path("federation/", federation_views.federation_edit, name="federation"),
    path("commissions/", commission_views.commission_list, name="commission_list"),
    path("commissions/new/", commission_views.commission_new, name="commission_new"),
    path("commissions/<slug:slug>/", commission_views.commission_edit, name="commission_edit"),
    path("statements/", statement_views.statement_list, name="statement_list"),
    path("statements/new/", statement_views.statement_new, name="statement_new"),
    path("statements/<slug:slug>/", statement_views.statement_overview, name="statement"),
    path("statements/<slug:slug>/actions/", statement_views.statement_action, name="statement_action"),
    path("statements/<slug:slug>/translations/new/", statement_views.translation_new, name="translation_new"),
    path("statements/<slug:slug>/texts/<str:language>/", statement_views.text_edit, name="statement_text"),
    path("sign-ons/", organisation_views.review_queue_page, name="sign_on_queue"),
    path("actions/", action_views.action_queue_page, name="action_queue"),
    path("statements/<slug:slug>/signatures/", signature_views.signature_queue, name="signature_queue"),
    path("statements/<slug:slug>/export/", signature_export_views.sealed_export, name="sealed_export"),
    path("statements/<slug:slug>/milestones/", ledger_views.milestones, name="statement_milestones"),
    path("log/", ledger_views.log_page, name="log"),
    path("log/witnesses/<int:witness_id>/", ledger_views.log_witness, name="log_witness"),
    path("log/send/", ledger_views.log_send, name="log_send"),
    *directory_patterns,
    *privacy_patterns,
    *delivery_patterns,
]
