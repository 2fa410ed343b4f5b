"""Addresses of the member directory: ``public_patterns`` under the site root (namespace
``organisations``), ``staff_patterns`` under /staff/ (namespace ``staff``)."""

from django.urls import URLPattern, path

from undersigned.organisations import directory_views

public_patterns: list[URLPattern] = [
    path("organisations/", directory_views.directory, name="directory"),
]
staff_patterns: list[URLPattern] = [
    path("organisations/", directory_views.organisation_list, name="organisation_list"),
    path("organisations/new/", directory_views.organisation_new, name="organisation_new"),
    path("organisations/types/", directory_views.type_list, name="organisation_types"),
    path("organisations/<int:pk>/", directory_views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/contacts/", directory_views.contact_new, name="organisation_contact_add"),
    path(
        "organisations/<int:pk>/contacts/<int:contact_pk>/remove/",
        directory_views.contact_delete,
        name="organisation_contact_remove",
    ),
]
