"""Every statement the service runs, as small named functions, one module per table or aggregate.

Callers hand in the session of their unit of work (`Database.transaction()` / `reading()`), so
transactions and their boundaries stay with the flows in `payments/` and `delivery/`; what to
lock (FOR UPDATE, SKIP LOCKED) is decided here, next to the statement.
"""
