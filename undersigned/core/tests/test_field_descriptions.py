"""Every field that names its description (``aria-describedby``, which Django adds for a field's
help text) names an element that is on the page: otherwise screen readers read no help at all."""

from __future__ import annotations

from html.parser import HTMLParser


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.described_by: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        self.described_by.extend(str(values.get("aria-describedby") or "").split())


def missing_descriptions(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    assert parser.described_by, "no field on the page names a description: nothing was checked"
    return [name for name in parser.described_by if name not in parser.ids]


def test_staff_forms_help_is_where_their_fields_say(client, libraries):
    from undersigned.statements.tests.builders import published_statement
    from undersigned.testing import secretariat, staff_login

    slug = published_statement(libraries, translations=()).slug
    staff_login(client, secretariat())
    for path in (
        "/staff/federation/",
        "/staff/commissions/new/",
        "/staff/statements/new/",
        "/staff/organisations/new/",
        f"/staff/statements/{slug}/retention/",
        f"/staff/statements/{slug}/delivery/",
        "/accounts/security/",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert missing_descriptions(answer.content.decode()) == [], path


def test_the_second_factor_box_takes_backup_codes_letters():
    from undersigned.accounts.forms import CodeForm

    attrs = CodeForm.base_fields["code"].widget.attrs
    assert attrs.get("inputmode") != "numeric"  # a phone would offer digits only
