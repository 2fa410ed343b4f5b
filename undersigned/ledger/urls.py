from django.urls import path, re_path

from undersigned.ledger import views

app_name = "ledger"
urlpatterns = [
    path("statements/<slug:slug>/transparency/", views.transparency, name="transparency"),
    path("statements/<slug:slug>/transparency/head.json", views.head, name="head"),
    path("statements/<slug:slug>/transparency/ledger.jsonl", views.export, name="export"),
    path("transparency/verify_statement.py", views.script, name="script"),
    # C2SP tlog-tiles, under the log's URL prefix /log/.
    path("log/checkpoint", views.log_checkpoint, name="log_checkpoint"),
    re_path(r"^log/(?P<path>tile/[0-9a-z./]{1,80})$", views.log_tile, name="log_tile"),
]
