"""The privacy app's pages under /staff/, included by ``config.staff_urls``."""

from django.urls import URLPattern

staff_patterns: list[URLPattern] = []
