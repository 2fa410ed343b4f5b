"""The API's documented shapes. Field names are part of the contract: add fields, never rename."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

# Larger than any id the database holds, small enough for every database's integer column.
MAX_ID = 2**31 - 1


class Error(Schema):
    code: str = Field(description="Stable, machine-readable reason, e.g. `not_found`, `invalid`, `too_many`.")
    message: str = Field(description="The reason for people, in the language of `Accept-Language`.")
    detail: dict[str, object] = Field(description="More about the error, e.g. `fields` for invalid input.")


def errors(*statuses: int) -> dict[int, type[Error]]:
    """The error answers an operation can give, each documented with the one error shape."""
    return dict.fromkeys(statuses, Error)


# What every read can answer besides 200: a bad cursor or query (400, 422), an unknown statement.
READ_ERRORS = errors(400, 404, 422)
# What a sign POST can answer besides 202: the form's rules (400), an unknown statement (404), an
# organisation already signed on (409), a closed statement (410), a body too large (413), a body of
# the wrong types (422), a rate limit (429, with Retry-After), no trustee to seal data to (503).
WRITE_ERRORS = errors(400, 404, 409, 410, 413, 422, 429, 503)


class StatementSummary(Schema):
    slug: str = Field(description="The statement's short name, used in every address.")
    issuing_body: str = Field(description="The issuing commission's slug, or `federation`.")
    original_language: str = Field(description="Language code of the authoritative text.")
    languages: list[str] = Field(description="Languages with a published text, the original first.")
    title: str = Field(description="Title in the original language.")
    status: str = Field(description="`published`, `closed` or `withdrawn`.")
    takes_signatures: bool = Field(description="Whether the statement can be signed now.")
    published_at: datetime | None = Field(description="When the statement was first published.")
    opens_at: datetime | None = Field(description="When signing opens, if it has not yet.")
    closes_at: datetime | None = Field(description="When signing closes, if set.")


class StatementPage(Schema):
    items: list[StatementSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class Text(Schema):
    language: str = Field(description="Language code of this text.")
    title: str
    dateline_date: date | None = Field(description="Date of the dateline.")
    dateline_place: str = Field(description="Place of the dateline.")
    headline_calls: list[str] = Field(description="The statement's headline calls, in order.")
    body: str = Field(description="The text (Markdown).")
    call_to_action: str
    revision: int = Field(description="Revision number of this text (1, 2, …).")
    revision_id: int = Field(description="The revision's id: what a signature names in `revision`.")
    sha256: str = Field(description="SHA-256 of the revision's canonical form, as the ledger records it.")
    published_at: datetime = Field(description="When this revision was published.")


class Feed(Schema):
    kind: str = Field(
        description="What the feed's entries are: `statements`, the new statements of `body`; `actions`, the "
        "approved solidarity actions answering this statement (not part of its signature count)."
    )
    body: str = Field(
        description="For `statements`: the issuing body's slug (`federation` for the federation's), or `all`. "
        "For `actions`: this statement's issuing body."
    )
    language: str = Field(
        description="For `statements`: the language of the statements' texts. For `actions`: the language the feed "
        "is written in (its titles and kinds of action; each description stays in the language it was reported in)."
    )
    url: str = Field(description="Absolute address of the Atom feed.")


class SignForm(Schema):
    started: str = Field(description="The form timer: send it back as `started` when signing.")
    proof_of_work_required: bool = Field(description="Whether signing needs `proof_of_work` (an ALTCHA answer).")
    challenge_url: str = Field(description="Where to fetch the proof-of-work challenge.")


class OrganisationKind(Schema):
    code: str = Field(description="What a sign-on names in `type`.")
    label: str = Field(description="The type's name, in the language of `Accept-Language`.")


class SignOnForm(Schema):
    started: str = Field(description="The sign-on form's timer: send it back as `started` when signing on.")
    organisation_types: list[OrganisationKind] = Field(description="The types an organisation can be.")


class StatementDetail(StatementSummary):
    texts: list[Text]
    sign_form: SignForm
    sign_on_form: SignOnForm = Field(description="What an organisation's sign-on needs.")
    feeds: list[Feed] = Field(
        description="Atom feeds, told apart by `kind`: of new statements (`statements`), of this statement's issuing "
        "body and of all, per language of its texts; then of this statement's solidarity actions (`actions`), per "
        "language of its texts that the site's interface speaks (else in the site's default language)."
    )


class CountryCount(Schema):
    country: str = Field(description="ISO 3166 country code.")
    count: int


class TypeCount(Schema):
    type: str = Field(description="Organisation type, in the language of `Accept-Language`.")
    count: int


class SignatureCounts(Schema):
    total: int = Field(description="Confirmed signatures.")
    by_country: list[CountryCount] = Field(description="Confirmed signatures by signer's country, largest first.")


class OrganisationCounts(Schema):
    total: int = Field(description="Approved organisation sign-ons.")
    by_country: list[CountryCount]
    by_type: list[TypeCount]


class Counts(Schema):
    signatures: SignatureCounts
    organisations: OrganisationCounts


class Milestone(Schema):
    count: int = Field(description="The number of signatures the milestone marks.")
    reached_at: datetime | None = Field(description="When it was reached; null if not yet.")
    reached_seq: int | None = Field(description="The ledger entry that reached it.")


class DeliveredTarget(Schema):
    name: str
    role: str
    organisation: str


class Delivery(Schema):
    subject: str = Field(description="The delivery's id in the ledger.")
    at: datetime
    targets: list[DeliveredTarget]
    signatures: int = Field(description="Signatures delivered.")
    organisations: int = Field(description="Organisation sign-ons delivered.")
    revision: int = Field(description="Revision number delivered.")
    language: str
    seq: int | None = Field(description="Ledger sequence number; null until sealed into the ledger.")


class LedgerHead(Schema):
    statement: str
    seq: int = Field(description="Sequence number of the latest checkpoint (0 before any).")
    hash: str = Field(description="Chain hash at that checkpoint.")
    counts: dict[str, object] = Field(description="The counts the checkpoint seals.")
    sealed_at: datetime | None


class Signatory(Schema):
    name: str = Field(description="The name as the signer chose to show it.")
    country: str = Field(description="ISO 3166 country code.")


class SignatoryPage(Schema):
    items: list[Signatory]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class SignOn(Schema):
    name: str
    website: str
    type: str = Field(description="Organisation type, in the language of `Accept-Language`.")
    is_member: bool = Field(description="Whether the organisation is a member of the federation.")


class SignOnGroup(Schema):
    country: str = Field(description="ISO 3166 country code.")
    country_name: str = Field(description="The country's name, in the language of `Accept-Language`.")
    organisations: list[SignOn]


class SignatureIn(Schema):
    name: str = Field(description="Full name.")
    email: str = Field(description="Where the confirmation link is sent; never shown.")
    country: str = Field(description="ISO 3166 country code.")
    city: str = ""
    affiliation: str = ""
    name_shown: str = Field("full", description="`full`, `initial` or `hidden`: how the name is listed.")
    wants_updates: bool = Field(False, description="Whether the signer wants updates by email.")
    revision: int = Field(ge=1, le=MAX_ID, description="`revision_id` of the text the signer read.")
    started: str = Field(description="`sign_form.started` from the statement.")
    proof_of_work: str = Field("", description="The ALTCHA answer, where the statement requires it.")


class Accepted(Schema):
    code: str = Field(description="Always `check_email`: the same answer for every address.")
    message: str


class SignOnIn(Schema):
    name: str = Field(description="The organisation's name, as it is published.")
    country: str = Field(description="ISO 3166 country code of the organisation.")
    # A code is a slug; anything else is refused before the database sees it (PostgreSQL refuses a
    # NUL in a query, which would otherwise be a 500).
    type: str = Field(
        max_length=40, pattern="^[-a-zA-Z0-9_]*$", description="`code` of one of `sign_on_form.organisation_types`."
    )
    website: str = Field("", description="http or https address of the organisation's website.")
    contact_name: str = Field(description="The contact person's name; sealed, never shown.")
    contact_role: str = Field(description="Their role in the organisation; sealed, never shown.")
    contact_email: str = Field(description="Where the confirmation link is sent; never shown.")
    consent: bool = Field(description="Must be true: the organisation's name is published under the statement.")
    revision: int = Field(ge=1, le=MAX_ID, description="`revision_id` of the text the contact read.")
    started: str = Field(description="`sign_on_form.started` from the statement.")


# A name for the type that a field called ``date`` does not hide.
Day = date


class SolidarityAction(Schema):
    kind: str = Field(
        description="`rally`, `vigil`, `forum`, `republication`, `translation`, `officials`, `media` or `other`."
    )
    kind_label: str = Field(description="The kind's name, in the language of `Accept-Language`.")
    date: Day = Field(description="The day of the action (past, or planned).")
    state: str = Field(description="`planned` (dated after today) or `held`.")
    city: str
    country: str = Field(description="ISO 3166 country code.")
    organisation: str = Field(description="The name of the organisation that reported it.")
    by_member: bool = Field(
        description="True when a verified contact of a member organisation reported it (the name is the "
        "directory's); false for an organisation that is not a member (the name it gave, its contact confirmed "
        "by email, the report reviewed by the editors)."
    )
    description: str = Field(description="The organisation's own words.")
    language: str = Field(description="Language code of `description`; empty when not known.")
    link: str = Field(description="An http(s) address on another site about the action; empty when none.")
    participants: int | None = Field(description="How many took part: the organisation's own figure, if given.")


class SolidarityActionPage(Schema):
    items: list[SolidarityAction]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class KindCount(Schema):
    kind: str
    label: str = Field(description="The kind's name, in the language of `Accept-Language`.")
    count: int


class SolidarityActionCounts(Schema):
    total: int = Field(description="Approved actions. Not part of the signature count.")
    countries: int = Field(description="Countries with at least one approved action.")
    by_kind: list[KindCount] = Field(description="Approved actions by kind, largest first.")
