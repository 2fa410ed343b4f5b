from django.urls import path

from undersigned.accounts import security_views, views
from undersigned.api import token_views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign_in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign_out"),
    path("second-factor/", security_views.second_factor, name="second_factor"),
    path("second-factor/set-up/", security_views.second_factor_setup, name="second_factor_setup"),
    path("second-factor/set-up/<str:token>/", security_views.second_factor_enrol, name="second_factor_enrol"),
    path("security/", security_views.security, name="security"),
    path("security/backup-codes/", security_views.backup_codes, name="backup_codes"),
    path("security/sessions/", security_views.end_sessions, name="end_sessions"),
    path("security/tokens/", token_views.token_new, name="token_new"),
    path("security/tokens/<int:pk>/revoke/", token_views.token_revoke_view, name="token_revoke"),
    path("password/", security_views.PasswordChangeView.as_view(), name="password_change"),
    path("password-reset/", security_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", security_views.password_reset_sent, name="password_reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        security_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", security_views.password_reset_complete, name="password_reset_complete"),
]
