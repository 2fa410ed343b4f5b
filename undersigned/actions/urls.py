from django.urls import path

from undersigned.actions import photo_views, views

app_name = "actions"
urlpatterns = [
    path("statements/<slug:slug>/actions/", views.action_list, name="list"),
    path("statements/<slug:slug>/actions/report/", views.action_report_page, name="report"),
    path("actions/photos/<str:sha256>", photo_views.action_photo, name="photo"),
]
