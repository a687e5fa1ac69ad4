"""A third-party vendor plugin for payment-service, for an imaginary "example" gateway.

It is a template (see plugins/README.md), and the test suite installs it to show that a
plugin distribution works without touching the core. Never installed in production.
"""

from .vendor import ExampleVendor

__all__ = ["ExampleVendor"]
