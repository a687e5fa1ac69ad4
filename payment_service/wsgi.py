"""The API's WSGI application, built from the `PAYMENT_*` environment when a gunicorn worker
imports it (`gunicorn --config python:payment_service.roles.gunicorn_config
payment_service.wsgi:app`, which is what `serve` runs)."""

from .app import create_app

app = create_app()
