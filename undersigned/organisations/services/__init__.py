"""The organisations' services, one module per job:

- ``names``: names, websites and addresses, as the others compare and show them;
- ``directory``: the member directory that the secretariat keeps: organisations, types, contacts;
- ``sign_ons``: organisations' sign-ons (submit, confirm, review, withdraw) and their counters;
- ``members``: member organisations' contacts, their sign-in and one-click endorsement.

Import from the module that does the job; this package re-exports nothing.
"""
