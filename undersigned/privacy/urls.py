from django.urls import path, re_path

from undersigned.core.link_pages import broken_link
from undersigned.privacy import views
from undersigned.privacy.tokens import DATA_LINK

app_name = "privacy"
urlpatterns = [
    path("your-data/", views.request_link, name="request"),
    path("your-data/<str:token>/", views.records, name="records"),
    path("your-data/<str:token>/my-data.json", views.records_download, name="download"),
    path("your-data/<str:token>/withdraw/", views.withdraw, name="withdraw"),
    path("your-data/<str:token>/stop-updates/", views.stop_updates, name="stop_updates"),
    path("your-data/<str:token>/erase/", views.erase, name="erase"),
    path(
        "your-data/<str:token>/receipt/<str:kind>/<str:public_id>/",
        views.receipt,
        name="receipt",
    ),
    # A link cut short or split by a mail program: a link that does not work, not a missing page.
    re_path(r"^your-data/(?P<rest>.+)$", broken_link(DATA_LINK)),
]
