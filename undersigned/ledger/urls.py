from django.urls import path

from undersigned.ledger import views

app_name = "ledger"
urlpatterns = [
    path("statements/<slug:slug>/transparency/", views.transparency, name="transparency"),
    path("statements/<slug:slug>/transparency/head.json", views.head, name="head"),
    path("statements/<slug:slug>/transparency/ledger.jsonl", views.export, name="export"),
    path("transparency/verify_statement.py", views.script, name="script"),
]
