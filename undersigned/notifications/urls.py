from django.urls import path

from undersigned.notifications import views

app_name = "notifications"
urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<str:message_id>/", views.outbox_detail, name="outbox_message"),
]
