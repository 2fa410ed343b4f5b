from django.urls import path, re_path

from undersigned.core.link_pages import broken_link
from undersigned.organisations import logo_views, views
from undersigned.organisations.directory_urls import public_patterns
from undersigned.organisations.tokens import CONFIRM_LINK, SIGN_IN_LINK, WITHDRAW_LINK

app_name = "organisations"
urlpatterns = [
    # Without an extension (a logo is a WebP, or a PNG stored before); with ".png" as the addresses
    # given out while every logo was a PNG.
    re_path(r"^logos/(?P<sha256>[^/.]+)(?:\.png)?$", logo_views.logo, name="logo"),
    path("statements/<slug:slug>/sign-on/", views.sign_on, name="sign_on"),
    path("sign-ons/confirm/<str:token>/", views.confirm, name="confirm"),
    path("sign-ons/withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("organisations/members/sign-in/", views.member_sign_in, name="member_sign_in"),
    path("organisations/members/sign-in/<str:token>/", views.member_sign_in_link, name="member_sign_in_link"),
    path("organisations/members/", views.member_home, name="member_home"),
    path("organisations/members/sign-out/", views.member_sign_out, name="member_sign_out"),
    *public_patterns,
    # A link cut short or split by a mail program: a link that does not work, not a missing page.
    re_path(r"^sign-ons/confirm/(?P<rest>.*)$", broken_link(CONFIRM_LINK)),
    re_path(r"^sign-ons/withdraw/(?P<rest>.*)$", broken_link(WITHDRAW_LINK)),
    re_path(r"^organisations/members/sign-in/(?P<rest>.+)$", broken_link(SIGN_IN_LINK)),
]
