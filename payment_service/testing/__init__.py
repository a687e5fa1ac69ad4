"""Test kit for integrators: the payment server and the fake gateways, embeddable in a test."""

from .backend import PaymentBackend
from .checkout import Checkout, checkout_scripts, complete_checkout, serve_checkout_scripts
from .customer import Customer
from .fakes import GatewayFakes
from .receiver import WebhookReceiver

__all__ = [
    "Checkout",
    "Customer",
    "GatewayFakes",
    "PaymentBackend",
    "WebhookReceiver",
    "checkout_scripts",
    "complete_checkout",
    "serve_checkout_scripts",
]
