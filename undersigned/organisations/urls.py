from django.urls import path

from undersigned.organisations import logo_views, views
from undersigned.organisations.directory_urls import public_patterns

app_name = "organisations"
urlpatterns = [
    path("logos/<str:sha256>.png", logo_views.logo, name="logo"),
    path("statements/<slug:slug>/sign-on/", views.sign_on, name="sign_on"),
    path("sign-ons/confirm/<str:token>/", views.confirm, name="confirm"),
    path("sign-ons/withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("organisations/members/sign-in/", views.member_sign_in, name="member_sign_in"),
    path("organisations/members/sign-in/<str:token>/", views.member_sign_in_link, name="member_sign_in_link"),
    path("organisations/members/", views.member_home, name="member_home"),
    path("organisations/members/sign-out/", views.member_sign_out, name="member_sign_out"),
    *public_patterns,
]
