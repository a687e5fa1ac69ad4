"""iamport's REST API as this plugin uses it: token authentication and the reply envelope.

Every reply is wrapped as `{code, message, response}`; `code != 0` is iamport refusing the
request (a GatewayRejected, 422, with iamport's message), even when the HTTP status is 200.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from payment_service.vendors import (
    GatewayAnswer,
    GatewayClient,
    GatewayError,
    GatewayRejected,
    VendorOptions,
    decimal,
)
from payment_service.wire import dumps

from .options import CODE, REPLIES
from .tokens import IssuedToken, TokenCache

TOKEN_PATH = "/users/getToken"


class IamportApi:
    def __init__(self, options: VendorOptions, *, clock: Callable[[], float] = time.time):
        self.options = options
        self.client = GatewayClient(CODE, options.base_url, options.timeout_s)
        self.tokens = TokenCache(clock=clock)
        self.clock = clock

    def call(self, store_id: str, method: str, path: str, body: Any = None) -> Any:
        """Call `path` with the store's token and return the envelope's `response`."""
        credentials = self.options.credentials(store_id)
        key = (credentials["imp_key"], credentials["imp_secret"])

        def issue() -> IssuedToken:
            return self.issue_token(credentials)

        token = self.tokens.get(key, issue)
        try:
            reply = self.client.call(method, path, body=body, headers={"Authorization": token})
        except GatewayError as error:
            if error.gateway_status != 401:
                raise
            # iamport answers 401 for a token it no longer honours before its stated expiry
            # (revoked, or issued again elsewhere): fetch a new one, once.
            self.tokens.discard(key, token)
            token = self.tokens.get(key, issue)
            reply = self.client.call(method, path, body=body, headers={"Authorization": token})
        return unwrap(reply, path)

    def issue_token(self, credentials: Mapping[str, str]) -> IssuedToken:
        asked_at = self.clock()
        accessor = {"imp_key": credentials["imp_key"], "imp_secret": credentials["imp_secret"]}
        try:
            user = unwrap(self.client.call("POST", TOKEN_PATH, body=accessor), TOKEN_PATH)
        except GatewayRejected as error:
            # A refused token request is our configuration's fault, not the caller's. Only its
            # status is passed on: the body of an answer about our credentials is not shown.
            status = error.gateway_status
            raise GatewayError(
                f"iamport refused this server's credentials: {error.message}",
                vendor=CODE,
                status=502,
                path=TOKEN_PATH,
                answer=None if status is None else GatewayAnswer(status, ""),
            ) from None
        try:
            token = user["access_token"]
            expired_at = decimal(user["expired_at"])
            issued_at = decimal(user.get("now", expired_at))
            if not isinstance(token, str) or not token:
                raise ValueError("access_token is not a string")
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            raise unreadable(TOKEN_PATH, f"token: {error}") from None
        # The lifetime is measured on iamport's clock (`expired_at - now`) and applied to
        # ours, so a skew between the two clocks cannot make a stale token look fresh.
        return IssuedToken(token, asked_at + float(expired_at - issued_at))


def unwrap(reply: Any, path: str) -> Any:
    if not isinstance(reply, Mapping) or not isinstance(reply.get("code"), int):
        raise unreadable(path, "no {code, message, response} envelope")
    if reply["code"] != 0:
        message = reply.get("message")
        raise GatewayRejected(
            message if isinstance(message, str) and message else f"iamport code {reply['code']}",
            vendor=CODE,
            status=422,
            path=path,
            answer=GatewayAnswer.read(200, dumps(reply)),
        )
    return reply.get("response")


# iamport answered something this plugin cannot read: a gateway failure (502).
unreadable = REPLIES.unreadable
