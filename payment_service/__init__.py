"""payment-service: one server for every payment gateway."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("payment-service")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
