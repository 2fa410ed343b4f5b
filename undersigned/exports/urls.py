from django.urls import path

from undersigned.exports import views

app_name = "exports"
urlpatterns = [
    path("statements/<slug:slug>/signed-statement.pdf", views.signed_statement_pdf, name="pdf"),
    path("statements/<slug:slug>/signed-statement.csv", views.signed_statement_csv, name="csv"),
    path("statements/<slug:slug>/signed-statement.json", views.signed_statement_json, name="json"),
]
