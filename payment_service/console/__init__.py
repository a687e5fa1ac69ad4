"""The operator console: a Flask blueprint at /console, rendered on the server (docs/console.md).

`install` adds it to the API's app when `PAYMENT_CONSOLE` is on. Operators and their roles
(`operators`, `permissions`), logins and sessions (`sessions`), the audit log (`audit`) and the
screens (`views`) live in modules of their own; `payments/` does the work, as for the API.
"""

from .setup import install

__all__ = ["install"]
