"""WSGI entry point for gunicorn: `gunicorn wsgi:app` (see the Procfile for its config)."""

from payment_service.wsgi import app

__all__ = ["app"]
