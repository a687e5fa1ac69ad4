"""The console's screens, one module per area; `register` adds their routes to the blueprint."""

from __future__ import annotations

from flask import Blueprint

from . import admin, login, overview, payments, reconciliation, webhooks


def register(blp: Blueprint) -> None:
    for module in (login, overview, payments, webhooks, reconciliation, admin):
        module.register(blp)
