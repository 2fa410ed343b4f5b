from django.urls import path

from undersigned.actions import feeds, photo_views, views
from undersigned.core.public_pages import shared_cacheable

app_name = "actions"
urlpatterns = [
    path("statements/<slug:slug>/actions/", views.action_list, name="list"),
    path("statements/<slug:slug>/actions/report/", views.action_report_page, name="report"),
    path("actions/photos/<str:sha256>", photo_views.action_photo, name="photo"),
    path(
        "statements/<slug:slug>/actions/feed/<str:language>.atom",
        shared_cacheable(feeds.StatementActionFeed()),
        name="feed",
    ),
    path("feeds/<slug:body>/actions/<str:language>.atom", shared_cacheable(feeds.BodyActionFeed()), name="body_feed"),
]
