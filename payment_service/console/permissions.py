"""Roles and the permission strings that checks are made against.

A route asks for a permission, never for a role, so a role can be added (or widened) here
without touching a route.
"""

from __future__ import annotations

PAYMENT_READ = "payment:read"
PAYMENT_REFUND = "payment:refund"
WEBHOOK_READ = "webhook:read"
WEBHOOK_RESEND = "webhook:resend"
FINDING_RESOLVE = "finding:resolve"
OPERATOR_MANAGE = "operator:manage"
AUDIT_READ = "audit:read"

_VIEWER = frozenset({PAYMENT_READ, WEBHOOK_READ})
_OPERATOR = _VIEWER | {PAYMENT_REFUND, WEBHOOK_RESEND, FINDING_RESOLVE}
_ADMIN = _OPERATOR | {OPERATOR_MANAGE, AUDIT_READ}

ROLES: dict[str, frozenset[str]] = {"viewer": _VIEWER, "operator": _OPERATOR, "admin": _ADMIN}


def allowed(role: str, permission: str) -> bool:
    """Whether `role` grants `permission` (an unknown role grants nothing)."""
    return permission in ROLES.get(role, frozenset())
