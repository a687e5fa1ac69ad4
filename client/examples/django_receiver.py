"""A Django view receiving payment-service webhooks, in a one-file project.

    PAYMENT_CONNECTION_ENCRYPTION_KEY=... PAYMENT_CONNECTION_ENCRYPTION_IV=... \
    PAYMENT_WEBHOOK_SIGNING_SECRET=whsec_... python django_receiver.py runserver 8001

In a real project, `payment_webhook` goes into an app's views.py and its path into urls.py;
the verifier is built once, from settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from payment_service_client import PaymentWebhook, WebhookError, WebhookVerifier

Handler = Callable[[PaymentWebhook], None]

# What the view uses; `create_app` sets them (settings.py would, in a project).
receiver: dict[str, WebhookVerifier | Handler] = {}
seen: set[str] = set()


# The server's webhooks carry no CSRF token: the signature is what authenticates them.
@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest) -> HttpResponse:
    verifier = receiver["verifier"]
    handle = receiver["handle"]
    assert isinstance(verifier, WebhookVerifier) and callable(handle)
    try:
        webhook = verifier.django(request)
    except WebhookError as error:
        # 401: not signed by the server; 400: not a webhook of ours. Never retried.
        return HttpResponse(str(error), status=error.status, content_type="text/plain")
    # Deliveries may repeat: handle each event once (a real service keeps the ids in its
    # database, in the transaction that handles the event).
    if webhook.id not in seen:
        seen.add(webhook.id)
        handle(webhook)
    return HttpResponse(status=204)


urlpatterns = [path("payments/webhook", payment_webhook)]


def configure() -> None:
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "an example, not a secret"),
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["127.0.0.1", "localhost"],
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
        )


def create_app(verifier: WebhookVerifier, handle: Handler) -> WSGIHandler:
    """The WSGI application (what a project's wsgi.py gives its server)."""
    configure()
    receiver.update(verifier=verifier, handle=handle)
    # After settings are configured: Django reads them as it starts.
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def print_change(webhook: PaymentWebhook) -> None:
    print(f"{webhook.source.id}: paid {webhook.current.price}, refunded {webhook.current.refund}")


if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    verifier = WebhookVerifier(
        key=os.environ["PAYMENT_CONNECTION_ENCRYPTION_KEY"],
        iv=os.environ["PAYMENT_CONNECTION_ENCRYPTION_IV"],
        secrets=os.environ.get("PAYMENT_WEBHOOK_SIGNING_SECRET", "").split(),
    )
    create_app(verifier, print_change)
    execute_from_command_line(sys.argv)
