from django.urls import path

from undersigned.privacy import views

app_name = "privacy"
urlpatterns = [
    path("your-data/", views.request_link, name="request"),
    path("your-data/<str:token>/", views.records, name="records"),
    path("your-data/<str:token>/my-data.json", views.records_download, name="download"),
    path("your-data/<str:token>/withdraw/", views.withdraw, name="withdraw"),
    path("your-data/<str:token>/stop-updates/", views.stop_updates, name="stop_updates"),
    path("your-data/<str:token>/erase/", views.erase, name="erase"),
]
