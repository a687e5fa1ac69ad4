"""Defences around record passwords: a cache of verified credentials (so bcrypt is paid once
per record and password, not once per request), a throttle of clients that keep failing, and
the rule that says which address a request comes from. No Flask here: the API layer resolves
the client and opens an attempt; `payments/` only calls `passwords.verify`, `passwords.burn`
and `passwords.created`.
"""
