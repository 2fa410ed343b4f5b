from django.urls import path

from undersigned.actions import views

app_name = "actions"
urlpatterns = [
    path("statements/<slug:slug>/actions/", views.action_list, name="list"),
    path("statements/<slug:slug>/actions/report/", views.action_report_page, name="report"),
]
