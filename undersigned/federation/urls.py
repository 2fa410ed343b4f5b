from django.urls import path

from undersigned.federation import views

app_name = "federation"
urlpatterns = [
    path("", views.home, name="home"),
    path("language/<str:code>/", views.switch_language, name="switch_language"),
]
