"""docs/api.md's part on solidarity actions against the code: its fields, examples and numbers are
those the API and the feeds use, so the page cannot drift from them unnoticed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from undersigned.actions.feeds import FEED_SIZE
from undersigned.actions.models import SolidarityAction
from undersigned.api.api import api
from undersigned.api.routers.statements import PageQuery

PAGE = Path(settings.BASE_DIR) / "docs" / "api.md"


@pytest.fixture(scope="module")
def section() -> str:
    text = PAGE.read_text()
    return text[text.index("## Solidarity actions") :]


@pytest.fixture(scope="module")
def schemas() -> dict:
    return api.get_openapi_schema()["components"]["schemas"]


def json_examples(section: str) -> tuple[dict, dict, list]:
    page, counts, feeds = re.findall(r"```json\n(.*?)```", section, re.S)
    return json.loads(page), json.loads(counts), json.loads(f"[{feeds.strip()}]")  # the feeds: part of a list


def test_the_field_table_names_every_field_of_an_action(section, schemas):
    table = section[section.index("| field | what it is |") : section.index("**Paging.**")]
    named = set(re.findall(r"^\| `(\w+)`(?:, `(\w+)`)? \|", table, re.M))
    fields = {name for pair in named for name in pair if name}
    assert fields == set(schemas["SolidarityAction"]["properties"])
    kinds = re.search(r"^\| `kind` \| (.*) \|$", table, re.M)
    assert kinds is not None
    assert re.findall(r"`(\w+)`", kinds.group(1)) == list(SolidarityAction.Kind.values)


def test_the_examples_have_the_shapes_of_the_schema(section, schemas):
    page, counts, feeds = json_examples(section)
    assert set(page) == set(schemas["SolidarityActionPage"]["properties"])
    for item in page["items"]:
        assert set(item) == set(schemas["SolidarityAction"]["properties"])
        assert item["kind"] in SolidarityAction.Kind.values and item["state"] in {"planned", "held"}
    assert set(counts) == set(schemas["SolidarityActionCounts"]["properties"])
    assert counts["total"] == sum(kind["count"] for kind in counts["by_kind"])
    for feed in feeds:
        assert set(feed) == set(schemas["Feed"]["properties"])
    assert {feed["kind"] for feed in feeds} == {"statements", "actions"}


def test_the_numbers_on_the_page_are_the_codes(section):
    prose = " ".join(section.split())
    limit = PageQuery.model_fields["limit"]
    bounds = {type(item).__name__: item for item in limit.metadata}
    assert f"`limit` is {bounds['Ge'].ge} to {bounds['Le'].le} ({limit.default} when not given)" in prose
    assert f"A feed holds the {FEED_SIZE} actions approved last" in prose
    languages = ", ".join(f"`{code}`" for code, _name in settings.LANGUAGES)
    assert f"`{{lang}}` is a language of the site's interface ({languages})" in prose
