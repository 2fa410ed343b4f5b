from django.urls import path

from undersigned.signatures import views

app_name = "signatures"
urlpatterns = [
    path("statements/<slug:slug>/sign/", views.sign, name="sign"),
    path("statements/<slug:slug>/signatures/", views.signer_list, name="list"),
    path("signatures/confirm/<str:token>/", views.confirm, name="confirm"),
    path("signatures/thanks/<str:token>/", views.thanks, name="thanks"),
    path("signatures/withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("signatures/challenge/", views.altcha_challenge, name="challenge"),
]
