from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("undersigned.accounts.urls")),
    path("staff/", include("config.staff_urls")),
    path("admin/", admin.site.urls),
    path("", include("undersigned.statements.urls")),
    path("", include("undersigned.federation.urls")),
]

handler500 = "undersigned.federation.views.server_error"
