"""Test kit for integrators: the payment server and the fake gateways, embeddable in a test."""

from .backend import PaymentBackend
from .customer import Customer
from .fakes import GatewayFakes
from .receiver import WebhookReceiver

__all__ = ["Customer", "GatewayFakes", "PaymentBackend", "WebhookReceiver"]
