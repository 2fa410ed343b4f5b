from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from undersigned.api.api import api
from undersigned.api.documentation import api_documentation

urlpatterns = [
    # A page like the others, beside the API it describes (the API's middleware leaves it alone).
    path("api/v1/docs/", api_documentation, name="api_documentation"),
    path("api/v1/", api.urls),
    path("accounts/", include("undersigned.accounts.urls")),
    path("staff/", include("config.staff_urls")),
    # One sign-in page for staff, with its throttling; the admin's own login form is not offered.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:sign_in", query_string=True)),
    path("admin/", admin.site.urls),
    path("", include("undersigned.signatures.urls")),
    path("", include("undersigned.organisations.urls")),
    path("", include("undersigned.actions.urls")),
    path("", include("undersigned.ledger.urls")),
    path("", include("undersigned.exports.urls")),
    path("", include("undersigned.privacy.urls")),
    path("", include("undersigned.notifications.urls")),
    path("", include("undersigned.statements.urls")),
    path("", include("undersigned.federation.urls")),
]

handler500 = "undersigned.federation.views.server_error"
