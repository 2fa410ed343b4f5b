from django.urls import path, re_path

from undersigned.core.link_pages import broken_link
from undersigned.signatures import views
from undersigned.signatures.tokens import CONFIRM_LINK, WITHDRAW_LINK

app_name = "signatures"
urlpatterns = [
    path("statements/<slug:slug>/sign/", views.sign, name="sign"),
    path("statements/<slug:slug>/signatures/", views.signer_list, name="list"),
    path("signatures/confirm/<str:token>/", views.confirm, name="confirm"),
    path("signatures/thanks/<str:token>/", views.thanks, name="thanks"),
    path("signatures/withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("signatures/receipt/<str:token>/", views.receipt, name="receipt"),
    path("signatures/challenge/", views.altcha_challenge, name="challenge"),
    # A link cut short or split by a mail program: a link that does not work, not a missing page.
    re_path(r"^signatures/confirm/(?P<rest>.*)$", broken_link(CONFIRM_LINK)),
    re_path(r"^signatures/(?:thanks|withdraw|receipt)/(?P<rest>.*)$", broken_link(WITHDRAW_LINK)),
]
