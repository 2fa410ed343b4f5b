from django.urls import path

from undersigned.core.public_pages import shared_cacheable
from undersigned.statements import embeds, feeds, offer_views, views

app_name = "statements"
urlpatterns = [
    path("statements/", views.statement_index, name="index"),
    path("statements/<slug:slug>/", views.statement_read, name="read"),
    # Before "read_in", whose <language> would otherwise take "embed" for a language.
    path("statements/<slug:slug>/embed/", embeds.embed, name="embed"),
    path(
        "statements/<slug:slug>/translations/offer/",
        offer_views.translation_offer_page,
        name="translation_offer",
    ),
    path("statements/<slug:slug>/<str:language>/embed/", embeds.embed, name="embed_in"),
    path("statements/<slug:slug>/badge.svg", embeds.badge_svg, name="badge_svg"),
    path("statements/<slug:slug>/<str:language>/badge.svg", embeds.badge_svg, name="badge_svg_in"),
    path("statements/<slug:slug>/badge.html", embeds.badge_html, name="badge_html"),
    path("statements/<slug:slug>/<str:language>/badge.html", embeds.badge_html, name="badge_html_in"),
    path("statements/<slug:slug>/<str:language>/share.png", views.statement_share_image, name="share_image"),
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
    path("feeds/<slug:body>/<str:language>.atom", shared_cacheable(feeds.StatementFeed()), name="feed"),
]
