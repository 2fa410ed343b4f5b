"""The delivery pages, under /staff/statements/<slug>/delivery/ (included by config/staff_urls.py)."""

from django.urls import path

from undersigned.deliveries import staff_views

staff_patterns = [
    path("statements/<slug:slug>/delivery/", staff_views.delivery_page, name="delivery"),
    path("statements/<slug:slug>/delivery/targets/", staff_views.target_add_view, name="delivery_target_add"),
    path(
        "statements/<slug:slug>/delivery/targets/<int:pk>/", staff_views.target_edit_view, name="delivery_target_edit"
    ),
    path(
        "statements/<slug:slug>/delivery/targets/<int:pk>/remove/",
        staff_views.target_remove_view,
        name="delivery_target_remove",
    ),
    path("statements/<slug:slug>/delivery/preview/", staff_views.delivery_preview, name="delivery_preview"),
    path("statements/<slug:slug>/delivery/send/", staff_views.delivery_confirm, name="delivery_confirm"),
    path(
        "statements/<slug:slug>/delivery/recipients/<int:pk>/retry/",
        staff_views.recipient_retry,
        name="delivery_retry",
    ),
    path("statements/<slug:slug>/delivery/responses/", staff_views.response_add, name="delivery_response_add"),
]
