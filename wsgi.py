"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from payment_service.app import create_app

app = create_app()
