from django.urls import path

from undersigned.statements import feeds, views

app_name = "statements"
urlpatterns = [
    path("statements/", views.statement_index, name="index"),
    path("statements/<slug:slug>/", views.statement_read, name="read"),
    path("statements/<slug:slug>/<str:language>/", views.statement_read, name="read_in"),
    path("statements/<slug:slug>/<str:language>/history/", views.statement_history, name="history"),
    path(
        "statements/<slug:slug>/<str:language>/history/<int:number>/",
        views.statement_revision,
        name="revision",
    ),
    path(
        "statements/<slug:slug>/<str:language>/history/<int:number>/canonical.json",
        views.statement_revision_canonical,
        name="revision_canonical",
    ),
    path("feeds/<slug:body>/<str:language>.atom", feeds.StatementFeed(), name="feed"),
]
