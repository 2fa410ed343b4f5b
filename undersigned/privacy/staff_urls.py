"""The privacy app's pages under /staff/, included by ``config.staff_urls``."""

from django.urls import URLPattern, path

from undersigned.privacy import staff_views

staff_patterns: list[URLPattern] = [
    path("statements/<slug:slug>/retention/", staff_views.retention, name="statement_retention"),
]
