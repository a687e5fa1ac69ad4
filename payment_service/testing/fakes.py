"""The fake gateways started together (they live with the `fakes` role; the names are kept
here for tests and integrators that import them from the test kit)."""

from ..roles.fakes import GatewayFakes, Ports, port_of, vendor_options

__all__ = ["GatewayFakes", "Ports", "port_of", "vendor_options"]
