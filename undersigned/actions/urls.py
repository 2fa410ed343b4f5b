from django.urls import path, re_path

from undersigned.actions import feeds, photo_views, views
from undersigned.actions.tokens import CONFIRM_ACTION_LINK, WITHDRAW_ACTION_LINK
from undersigned.core.link_pages import broken_link
from undersigned.core.public_pages import shared_cacheable

app_name = "actions"
urlpatterns = [
    path("statements/<slug:slug>/actions/", views.action_list, name="list"),
    path("statements/<slug:slug>/actions/report/", views.action_report_page, name="report"),
    path("statements/<slug:slug>/actions/report/organisation/", views.action_report_open, name="report_open"),
    path("actions/confirm/<str:token>/", views.action_confirm_page, name="confirm"),
    path("actions/withdraw/<str:token>/", views.action_withdraw_page, name="withdraw"),
    path("organisations/members/actions/", views.member_actions, name="member_actions"),
    path("organisations/members/actions/withdraw/", views.member_action_withdraw, name="member_action_withdraw"),
    path("actions/photos/<str:sha256>", photo_views.action_photo, name="photo"),
    path(
        "statements/<slug:slug>/actions/feed/<str:language>.atom",
        shared_cacheable(feeds.StatementActionFeed()),
        name="feed",
    ),
    path("feeds/<slug:body>/actions/<str:language>.atom", shared_cacheable(feeds.BodyActionFeed()), name="body_feed"),
    # A link cut short or split by a mail program: a link that does not work, not a missing page.
    re_path(r"^actions/confirm/(?P<rest>.*)$", broken_link(CONFIRM_ACTION_LINK)),
    re_path(r"^actions/withdraw/(?P<rest>.*)$", broken_link(WITHDRAW_ACTION_LINK)),
]
