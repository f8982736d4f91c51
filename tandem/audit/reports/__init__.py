"""Reading the audit trail: search for admins, a client's accounting of who read their record.

Its own app above `clients` and `consent` (it needs the client record and the client's own
record lookup), so the recording below (`tandem.audit`: models, `record()`, the chain) needs
neither and every app can record.
"""
