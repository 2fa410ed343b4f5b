"""The member directory's pages: the secretariat keeps the directory under /staff/organisations/,
and the public page lists the member organisations by country."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django_countries import countries
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from undersigned.organisations.directory_forms import DirectorySearchForm
from undersigned.organisations.directory_selectors import MAX_SEARCH_LENGTH
from undersigned.organisations.logos import MAX_LOGO_BYTES
from undersigned.organisations.models import Logo, Organisation, OrganisationContact, OrganisationType
from undersigned.organisations.services.directory import OrganisationInput, contact_add, organisation_save
from undersigned.testing import editor, secretariat, staff_login, translator

pytestmark = pytest.mark.django_db


def kind(code: str = "association") -> OrganisationType:
    return OrganisationType.objects.get(code=code)


def organisation(
    name: str,
    country: str,
    *,
    is_member: bool = True,
    short_name: str = "",
    member_since: date | None = None,
    website: str = "",
    description: str = "",
    email_domains: tuple[str, ...] = (),
) -> Organisation:
    return organisation_save(
        actor=None,
        organisation=None,
        data=OrganisationInput(
            name=name,
            short_name=short_name,
            country=country,
            type=kind(),
            website=website,
            description=description,
            is_member=is_member,
            member_since=member_since if is_member else None,
            email_domains=email_domains,
        ),
    )


def png(size: tuple[int, int] = (120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 92, 173)).save(buffer, format="PNG")
    return buffer.getvalue()


def form_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Friends of the Riverside Library",
        "short_name": "FRL",
        "country": "FR",
        "type": kind().pk,
        "website": "https://riverside-library.example.org/",
        "description": "Volunteers who keep a neighbourhood library open on Sundays.",
        "is_member": "on",
        "member_since": "2019-03-01",
        "email_domains": "riverside-library.example.org\n",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def stored(entry: Model) -> dict[str, object]:
    """What the database holds for ``entry``, to compare before and after a refused change."""
    entry.refresh_from_db()
    return {field.attname: getattr(entry, field.attname) for field in entry._meta.concrete_fields}


@pytest.fixture
def staff_client(client: Client, site: None) -> Client:
    staff_login(client, secretariat())
    return client


# --- The secretariat keeps the directory --------------------------------------------------------


def test_secretariat_adds_an_organisation_and_finds_it_in_the_list(staff_client):
    response = staff_client.post(reverse("staff:organisation_new"), form_data())
    assert response.status_code == 302
    added = Organisation.objects.get()
    assert response["Location"] == reverse("staff:organisation_edit", args=[added.pk])
    assert (added.name, added.short_name, str(added.country)) == ("Friends of the Riverside Library", "FRL", "FR")
    assert added.is_member and added.member_since == date(2019, 3, 1)
    assert added.website_domain == "riverside-library.example.org"
    assert added.email_domains == ["riverside-library.example.org"]
    organisation("Cyclists' Union of the Valley", "DE", is_member=False)

    listing = staff_client.get(reverse("staff:organisation_list")).content.decode()
    assert "Friends of the Riverside Library" in listing and "Cyclists&#x27; Union of the Valley" in listing

    found = staff_client.get(reverse("staff:organisation_list"), {"q": "riverside"}).content.decode()
    assert "Friends of the Riverside Library" in found and "Cyclists" not in found
    by_short_name = staff_client.get(reverse("staff:organisation_list"), {"q": "frl"}).content.decode()
    assert "Friends of the Riverside Library" in by_short_name
    in_germany = staff_client.get(reverse("staff:organisation_list"), {"country": "DE"}).content.decode()
    assert "Cyclists" in in_germany and "Riverside" not in in_germany
    others = staff_client.get(reverse("staff:organisation_list"), {"member": "others"}).content.decode()
    assert "Cyclists" in others and "Riverside" not in others
    nothing = staff_client.get(reverse("staff:organisation_list"), {"q": "no such name"})
    assert "No organisation matches this search." in nothing.content.decode()


def test_search_ignores_accents_and_case(staff_client):
    organisation("Bibliothèque Populaire d'Écouen", "FR")
    found = staff_client.get(reverse("staff:organisation_list"), {"q": "BIBLIOTHEQUE populaire"}).content.decode()
    assert "Bibliothèque Populaire" in found


def test_staff_list_is_paginated_with_its_filters(staff_client, django_assert_max_num_queries):
    for number in range(55):
        organisation(f"Tenants' Association {number:02}", "ES")
    with django_assert_max_num_queries(10):  # 8, and the session and second-factor checks of every staff page
        response = staff_client.get(reverse("staff:organisation_list"), {"country": "ES"})
    content = response.content.decode()
    assert len(re.findall(r'href="/staff/organisations/\d+/"', content)) == 50
    assert "?country=ES&amp;page=2" in content
    second = staff_client.get(reverse("staff:organisation_list"), {"country": "ES", "page": 2}).content.decode()
    assert "Tenants&#x27; Association 54" in second


def test_secretariat_edits_an_organisation_and_gives_it_a_logo(staff_client):
    entry = organisation("Seasonal Workers' Housing Network", "ES", is_member=False)
    upload = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    response = staff_client.post(
        reverse("staff:organisation_edit", args=[entry.pk]),
        form_data(name="Seasonal Workers' Housing Network", country="ES", logo=upload, website="housing.example.org"),
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.logo is not None and (entry.logo.width, entry.logo.height) == (200, 200)
    assert entry.website == "https://housing.example.org"
    assert entry.is_member

    page = staff_client.get(reverse("staff:organisation_edit", args=[entry.pk])).content.decode()
    assert reverse("organisations:logo", args=[entry.logo_id]) in page
    assert "Remove the current logo" in page
    assert 'enctype="multipart/form-data"' in page
    assert staff_client.get(reverse("organisations:logo", args=[entry.logo_id])).status_code == 200

    response = staff_client.post(
        reverse("staff:organisation_edit", args=[entry.pk]),
        form_data(name="Seasonal Workers' Housing Network", country="ES", remove_logo="on"),
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.logo is None


def test_only_a_member_has_a_member_since_date(staff_client):
    entry = organisation("Community Garden Group", "FR", is_member=False)
    before = stored(entry)
    response = staff_client.post(
        reverse("staff:organisation_edit", args=[entry.pk]), form_data(is_member=None, member_since="2020-01-01")
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert re.search(r'field__error" id="id_member_since_error">Only a member organisation', content)
    assert stored(entry) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"website": "not a web address"}, "website", "Enter a valid URL."),
        ({"website": "javascript:alert(1)"}, "website", "Enter a valid URL."),
        ({"name": "<b>Bold</b> Library Friends"}, "name", "Names cannot contain &lt; or &gt;."),
        ({"logo": "text"}, "logo", "The logo must be a PNG, JPEG or WebP image."),
        ({"country": "XX"}, "country", "Choose a country from the list."),
        ({"email_domains": "riverside.example.org\nnot a domain"}, "email_domains", "is not an email domain."),
    ],
    ids=[
        "website-not-a-url",
        "website-javascript",
        "markup-in-name",
        "text-file-as-logo",
        "unknown-country",
        "bad-domain",
    ],
)
def test_bad_input_is_explained_next_to_its_field_and_changes_nothing(staff_client, changes, field, message):
    entry = organisation("Neighbourhood Reading Circle", "BE", short_name="NRC", website="https://circle.example.org")
    if changes.get("logo") == "text":
        changes = {"logo": SimpleUploadedFile("logo.png", b"just some words, not an image\n", content_type="image/png")}
    before = stored(entry)
    response = staff_client.post(reverse("staff:organisation_edit", args=[entry.pk]), form_data(**changes))
    assert response.status_code == 400
    content = response.content.decode()
    error = re.search(rf'<p class="field__error" id="id_{field}_error">([^<]*)</p>', content)
    assert error is not None, content
    assert message in error.group(1)
    assert stored(entry) == before
    assert not Logo.objects.exists()
    # The page shows what is stored, not what was refused.
    assert "<h1><bdi>Neighbourhood Reading Circle</bdi></h1>" in content


def test_a_refused_entry_is_not_created(staff_client):
    response = staff_client.post(reverse("staff:organisation_new"), form_data(website="ftp://files.example.org"))
    assert response.status_code == 400
    assert not Organisation.objects.exists()


def test_an_upload_too_large_for_a_logo_is_refused_unread(staff_client):
    entry = organisation("Safe Cycling Lanes Coalition", "NL")
    before = stored(entry)
    too_large = SimpleUploadedFile("logo.png", png() + b"\0" * (MAX_LOGO_BYTES + 100 * 1024), content_type="image/png")
    response = staff_client.post(reverse("staff:organisation_edit", args=[entry.pk]), form_data(logo=too_large))
    assert response.status_code == 413
    assert "Nothing was saved" in response.content.decode()
    assert stored(entry) == before
    assert not Logo.objects.exists()

    too_large.seek(0)  # the first request read it to the end
    response = staff_client.post(reverse("staff:organisation_new"), form_data(logo=too_large))
    assert response.status_code == 413
    assert Organisation.objects.count() == 1


def test_a_logo_just_over_the_limit_is_refused_with_the_logo_message(staff_client):
    entry = organisation("Safe Cycling Lanes Coalition", "NL")
    before = stored(entry)
    over = SimpleUploadedFile("logo.png", png() + b"\0" * MAX_LOGO_BYTES, content_type="image/png")
    response = staff_client.post(reverse("staff:organisation_edit", args=[entry.pk]), form_data(logo=over))
    assert response.status_code == 400
    assert "The logo is larger than 2 MB." in response.content.decode()
    assert stored(entry) == before


def test_the_entry_form_still_checks_the_csrf_token(site):
    client = Client(enforce_csrf_checks=True)
    staff_login(client, secretariat())
    assert client.post(reverse("staff:organisation_new"), form_data()).status_code == 403
    assert not Organisation.objects.exists()


def test_an_unknown_organisation_is_not_found(staff_client):
    assert staff_client.get(reverse("staff:organisation_edit", args=[999])).status_code == 404


# --- Only the secretariat -----------------------------------------------------------------------


def staff_addresses() -> list[tuple[str, str]]:
    """(method, address) of every staff page, for an organisation with pk 1 and a contact with pk 1."""
    return [
        ("get", "/staff/organisations/"),
        ("get", "/staff/organisations/new/"),
        ("post", "/staff/organisations/new/"),
        ("get", "/staff/organisations/1/"),
        ("post", "/staff/organisations/1/"),
        ("post", "/staff/organisations/1/contacts/"),
        ("post", "/staff/organisations/1/contacts/1/remove/"),
        ("get", "/staff/organisations/types/"),
        ("post", "/staff/organisations/types/"),
    ]


@pytest.mark.parametrize("who", ["editor", "translator"])
@pytest.mark.parametrize(("method", "address"), staff_addresses())
def test_other_staff_are_refused(client, libraries, who, method, address):
    entry = organisation("Library Friends", "FR")
    contact = contact_add(actor=None, organisation=entry, name="Ana Example", role="Chair", email="ana@example.org")
    address = address.replace("/1/", f"/{entry.pk}/", 1).replace("/contacts/1/", f"/contacts/{contact.pk}/")
    staff_login(client, editor(libraries) if who == "editor" else translator())
    response = getattr(client, method)(address, form_data(contact_name="X", contact_email="x@example.org", name="Type"))
    assert response.status_code == 403
    assert Organisation.objects.get().name == "Library Friends"
    assert OrganisationContact.objects.count() == 1
    assert OrganisationType.objects.filter(name="Type").count() == 0


@pytest.mark.parametrize(("method", "address"), staff_addresses())
def test_anonymous_visitors_are_sent_to_sign_in(client, site, method, address):
    response = getattr(client, method)(address)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in"))


# --- Contacts -----------------------------------------------------------------------------------


def test_a_contact_is_stored_sealed_and_shown_only_as_a_number(staff_client):
    entry = organisation("Housing Rights Forum", "PT")
    response = staff_client.post(
        reverse("staff:organisation_contact_add", args=[entry.pk]),
        {
            "contact_name": "Marisol Quintana-Example",
            "contact_role": "Treasurer",
            "contact_email": "marisol@forum.example",
        },
    )
    assert response.status_code == 302
    contact = OrganisationContact.objects.get()
    assert contact.verified_at is not None
    row = OrganisationContact.objects.filter(pk=contact.pk).values().get()
    for value in row.values():
        as_bytes = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for secret in ("marisol", "Quintana", "Treasurer", "forum.example"):
            assert secret.encode() not in as_bytes
            assert secret.lower().encode() not in as_bytes.lower()

    page = staff_client.get(reverse("staff:organisation_edit", args=[entry.pk])).content.decode()
    assert "Contact 1</strong> — verified on" in page
    assert "sealed for the trustees" in page
    for secret in ("Marisol", "Quintana", "Treasurer", "forum.example"):
        assert secret not in page

    response = staff_client.post(reverse("staff:organisation_contact_remove", args=[entry.pk, contact.pk]))
    assert response.status_code == 302
    assert not OrganisationContact.objects.exists()
    assert "No contact yet." in staff_client.get(reverse("staff:organisation_edit", args=[entry.pk])).content.decode()


def test_a_contact_needs_a_complete_address(staff_client):
    entry = organisation("Housing Rights Forum", "PT")
    response = staff_client.post(
        reverse("staff:organisation_contact_add", args=[entry.pk]),
        {"contact_name": "Ana", "contact_role": "", "contact_email": "ana@localhost"},
    )
    assert response.status_code == 400
    assert 'id="id_contact_email_error"' in response.content.decode()
    assert not OrganisationContact.objects.exists()


def test_a_contact_of_another_organisation_is_not_found(staff_client):
    entry, other = organisation("Housing Rights Forum", "PT"), organisation("Library Friends", "FR")
    contact = contact_add(actor=None, organisation=other, name="Ana", role="", email="ana@example.org")
    response = staff_client.post(reverse("staff:organisation_contact_remove", args=[entry.pk, contact.pk]))
    assert response.status_code == 404
    assert OrganisationContact.objects.count() == 1


# --- Types --------------------------------------------------------------------------------------


def test_secretariat_adds_a_type_once(staff_client):
    page = staff_client.get(reverse("staff:organisation_types")).content.decode()
    assert "Community group" in page
    response = staff_client.post(reverse("staff:organisation_types"), {"name": "Cooperative"})
    assert response.status_code == 302
    assert OrganisationType.objects.filter(name="Cooperative").exists()
    assert "Cooperative" in staff_client.get(reverse("staff:organisation_types")).content.decode()
    again = staff_client.post(reverse("staff:organisation_types"), {"name": "cooperative"})
    assert again.status_code == 400
    assert "This type is already on the list." in again.content.decode()
    assert OrganisationType.objects.filter(name__iexact="cooperative").count() == 1


# --- The public page of members -----------------------------------------------------------------


def test_public_page_lists_members_only_grouped_by_country(client, site, django_assert_max_num_queries):
    organisation(
        "Tenants' Union of Seville", "ES", member_since=date(2018, 5, 1), website="https://tenants.example.es/"
    )
    organisation(
        "Riverside Library Friends", "FR", short_name="RLF", description="Keeps the library open.\nOn Sundays."
    )
    organisation("Association des Cyclistes", "FR")
    organisation("Berlin Cycling Club", "DE", email_domains=("cycling.example.de",))
    organisation("Not A Member Group", "FR", is_member=False)
    # Three for the federation's identity (cold cache), one for the country filter, one for the list.
    with django_assert_max_num_queries(5):
        response = client.get(reverse("organisations:directory"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Member organisations · Example Federation</title>" in content
    assert "Not A Member Group" not in content
    assert "cycling.example.de" not in content
    headings = re.findall(r'<h2 id="country-(\w\w)">', content)
    assert headings == ["FR", "DE", "ES"]  # France, Germany, Spain
    assert content.index("Association des Cyclistes") < content.index("Riverside Library Friends")
    assert "(<bdi>RLF</bdi>)" in content
    assert "<p>Keeps the library open.<br>On Sundays.</p>" in content
    assert 'href="https://tenants.example.es/" rel="nofollow noopener"' in content
    assert "member since May 2018" in content


def test_public_page_sorts_countries_in_the_readers_language(client, site):
    organisation("Berlin Cycling Club", "DE")
    organisation("Tenants' Union of Seville", "ES")
    organisation("Riverside Library Friends", "FR")
    content = client.get(reverse("organisations:directory"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    headings = re.findall(r'<h2 id="country-\w\w">([^<]*)<', content)
    assert [heading.strip() for heading in headings] == ["Alemania", "España", "Francia"]


def test_public_page_sorts_arabic_country_names_alphabetically(client, site):
    organisation("Berlin Cycling Club", "DE")
    organisation("Tenants' Union of Seville", "ES")
    organisation("Riverside Library Friends", "FR")
    content = client.get(reverse("organisations:directory"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert re.findall(r'<h2 id="country-(\w\w)">', content) == ["ES", "DE", "FR"]  # أسبانيا، ألمانيا، فرنسا


def test_public_page_shows_a_logo_beside_the_name(client, site):
    from undersigned.organisations.logos import logo_from_upload

    entry = organisation("Riverside Library Friends", "FR")
    logo = logo_from_upload(SimpleUploadedFile("logo.png", png(), content_type="image/png"))
    Organisation.objects.filter(pk=entry.pk).update(logo=logo)
    content = client.get(reverse("organisations:directory")).content.decode()
    assert f'src="{reverse("organisations:logo", args=[logo.pk])}" width="48" height="48" alt=""' in content


def test_public_search_and_country_filter(client, site):
    organisation("Riverside Library Friends", "FR", short_name="RLF")
    organisation("Association des Cyclistes", "FR")
    organisation("Berlin Cycling Club", "DE")
    by_name = client.get(reverse("organisations:directory"), {"q": "cycl"}).content.decode()
    assert "Association des Cyclistes" in by_name and "Berlin Cycling Club" in by_name and "Riverside" not in by_name
    by_short_name = client.get(reverse("organisations:directory"), {"q": "rlf"}).content.decode()
    assert "Riverside Library Friends" in by_short_name and "Cycl" not in by_short_name
    in_germany = client.get(reverse("organisations:directory"), {"country": "de"}).content.decode()
    assert "Berlin Cycling Club" in in_germany and "Riverside" not in in_germany
    assert '<option value="DE" selected>' in in_germany
    both = client.get(reverse("organisations:directory"), {"country": "FR", "q": "cycl"}).content.decode()
    assert "Association des Cyclistes" in both and "Berlin" not in both
    nowhere = client.get(reverse("organisations:directory"), {"country": "JP"}).content.decode()
    assert "No member organisation matches this search." in nowhere


@pytest.mark.parametrize(
    "query",
    [{"country": "not-a-country"}, {"country": "ZZ"}, {"country": "<script>"}, {"q": "x" * 10_000}, {"q": "\0\x01"}],
    ids=["long-country", "unknown-country", "markup-country", "ten-kilobyte-query", "control-characters"],
)
def test_public_page_ignores_what_it_cannot_use(client, site, query):
    organisation("Riverside Library Friends", "FR")
    response = client.get(reverse("organisations:directory"), query)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<script>" not in content
    search_box = re.search(r'<input type="text" name="q"[^>]*>', content)
    assert search_box is not None
    assert "x" * 101 not in search_box.group(0)


def test_public_page_says_when_there_is_no_member(client, site):
    organisation("Not A Member Group", "FR", is_member=False)
    content = client.get(reverse("organisations:directory")).content.decode()
    assert "No member organisation is listed yet." in content


@given(q=st.text(max_size=400), country=st.text(max_size=8))
def test_search_form_keeps_only_what_it_can_use(q, country):
    form = DirectorySearchForm({"q": q, "country": country}, country_choices=[("FR", "France")])
    assert form.is_valid()
    filters = form.filters()
    assert len(filters["q"]) <= MAX_SEARCH_LENGTH
    assert filters["q"] == filters["q"].strip()
    assert not any(unicodedata.category(character) == "Cc" for character in filters["q"])
    assert filters["country"] == "" or filters["country"] in countries


# --- In a browser -------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_directory_pages_in_a_browser(browser, live_server, site, screenshot, tmp_path):
    from playwright.sync_api import expect

    from undersigned.accounts.tests.browser import sign_in

    secretariat()
    organisation(
        "Tenants' Union of Seville",
        "ES",
        short_name="TUS",
        member_since=date(2018, 5, 1),
        website="https://tenants.example.es/",
        description="Advice for tenants and a weekly open meeting.",
    )
    organisation("Riverside Library Friends", "FR", short_name="RLF", description="Keeps the library open on Sundays.")
    organisation("جمعية أصدقاء المكتبة", "MA", website="https://library-friends.example.ma/")
    entry = organisation(
        "Berlin Cycling Club", "DE", member_since=date(2021, 9, 1), website="https://cycling.example.de/"
    )
    contact_add(actor=None, organisation=entry, name="Ana Example", role="Chair", email="ana@cycling.example.de")
    logo_file = tmp_path / "logo.png"
    logo_file.write_bytes(png((160, 90)))

    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, "sam@example.org")
    page.goto(live_server.url + reverse("staff:organisation_edit", args=[entry.pk]))
    page.get_by_label("Logo (optional)").set_input_files(str(logo_file))
    page.get_by_label("Short name or acronym (optional)").fill("BCC")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The organisation is saved.")
    expect(page.get_by_alt_text("Current logo")).to_be_visible()
    page.get_by_text("Remove contact 1…").click()
    screenshot(page, "directory-staff-edit")
    page.goto(live_server.url + reverse("staff:organisation_list"))
    expect(page.get_by_role("link", name="Berlin Cycling Club")).to_be_visible()
    screenshot(page, "directory-staff-list")

    page.goto(live_server.url + reverse("organisations:directory"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Member organisations")
    expect(page.get_by_role("heading", level=2)).to_have_count(4)
    screenshot(page, "directory-public")
    page.get_by_label("Name or short name").fill("bcc")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=3)).to_have_count(1)
    context.close()

    arabic = browser.new_context(locale="ar", viewport={"width": 390, "height": 844})
    phone = arabic.new_page()
    phone.goto(live_server.url + reverse("organisations:directory"))
    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "directory-public-ar-phone")
    arabic.close()
