"""The staff endpoints' documented shapes. Field names are part of the contract: add, never rename.

Nothing here carries a signer's or a contact's address: those leave the site only in the sealed
export, which staff download from their pages with a fresh second factor.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from undersigned.api.schemas import MAX_ID


class SignatureStatusCounts(Schema):
    pending: int = Field(description="Waiting for the signer's confirmation; not counted.")
    confirmed: int = Field(description="Confirmed: the public count.")
    held: int = Field(description="Held for review by the fraud signals; not counted.")
    invalidated: int = Field(description="Invalidated by a moderator; not counted.")
    withdrawn: int = Field(description="Withdrawn by the signer.")


class SignOnStatusCounts(Schema):
    pending: int = Field(description="Waiting for the contact's confirmation.")
    awaiting: int = Field(description="Waiting for review.")
    approved: int
    rejected: int
    withdrawn: int


class StaffStatement(Schema):
    slug: str
    issuing_body: str = Field(description="The issuing commission's slug, or `federation`.")
    title: str = Field(description="Title of the original text (draft or published).")
    original_language: str
    status: str = Field(description="`draft`, `published`, `closed` or `withdrawn`.")
    published_at: datetime | None
    closes_at: datetime | None
    capabilities: list[str] = Field(
        description="What the token's owner may do with it now: `view`, `moderate`, `manage`, `export`, "
        "`see_deliveries`, `deliver`. A token's scopes limit this further."
    )
    signatures: SignatureStatusCounts
    sign_ons: SignOnStatusCounts


class StaffStatementList(Schema):
    items: list[StaffStatement]


class QueuedSignOn(Schema):
    public_id: str = Field(description="The sign-on's id: what approve and reject name.")
    statement: str = Field(description="The statement's slug.")
    status: str = Field(description="`pending`, `awaiting`, `approved`, `rejected` or `withdrawn`.")
    name: str = Field(description="The organisation's name, as it would be published.")
    country: str = Field(description="ISO 3166 country code.")
    type: str = Field(description="Organisation type, in the language of `Accept-Language`.")
    website: str
    via_member_sign_in: bool = Field(description="Whether a member organisation's signed-in contact sent it.")
    created_at: datetime
    confirmed_at: datetime | None
    decided_at: datetime | None
    flags: list[str] = Field(description="What makes it look like a duplicate, for the reviewer.")


class SignOnQueue(Schema):
    items: list[QueuedSignOn] = Field(description="Oldest first, at most 500.")


class StaffInput(Schema):
    @field_validator("*", mode="after")
    @classmethod
    def no_nul(cls, value: Any) -> Any:
        # PostgreSQL refuses NUL in text outright; refused here, it is a 422 and not a 500.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text may not contain NUL characters")
        return value


class Reason(StaffInput):
    reason: str = Field(max_length=2000, description="Why; required for rejecting and for signatures.")


class SignOnDecision(Schema):
    public_id: str
    status: str = Field(description="The sign-on's status after the decision.")


class SignatureDecision(Schema):
    public_id: str
    status: str = Field(description="`confirmed`, `held`, `invalidated` …: the signature's status after the change.")


class TargetOut(Schema):
    id: int
    name: str
    role: str
    organisation: str
    language: str = Field(description="The language the target reads.")
    created_at: datetime


class RecipientOut(Schema):
    id: int = Field(description="What `retry` names.")
    target: int | None = Field(description="The target's id, if it is still a target.")
    name: str
    role: str
    organisation: str
    language: str
    status: str = Field(description="`queued`, `sent`, `failed` or `given_up`.")
    attempts: int
    last_error: str = Field(description="The kind of the last error, e.g. `refused`; never the server's words.")
    sent_at: datetime | None


class DeliveryOut(Schema):
    public_id: str
    number: int = Field(description="1 for the first delivery of the statement, and so on.")
    language: str
    signatures: int = Field(description="Signatures delivered.")
    organisations: int = Field(description="Organisation sign-ons delivered.")
    mention_actions: bool = Field(
        description="Whether the editor chose to mention the solidarity actions; the mails did if `actions` is above 0."
    )
    actions: int = Field(description="Approved solidarity actions at the time; not part of the signature count.")
    action_countries: int = Field(description="Countries of those actions.")
    created_at: datetime
    recipients: list[RecipientOut]


class ResponseOut(Schema):
    id: int
    target: int | None = Field(description="The target who answered, if it is one.")
    who: str
    responded_on: date
    text: str
    link: str
    language: str
    created_at: datetime


class DeliveryRecord(Schema):
    statement: str
    targets: list[TargetOut]
    deliveries: list[DeliveryOut] = Field(description="Newest first.")
    responses: list[ResponseOut]


class ResponseIn(StaffInput):
    target: int | None = Field(None, ge=1, le=MAX_ID, description="A target's `id`, or null with `who`.")
    who: str = Field("", max_length=300, description="Who answered; from the target when empty.")
    responded_on: date
    text: str = Field("", max_length=20_000)
    link: str = Field("", max_length=500, description="An https:// or http:// link to the answer.")
    language: str = Field(max_length=16, description="Language code of the answer.")
