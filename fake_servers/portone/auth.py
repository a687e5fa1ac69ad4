"""Authentication as PortOne V2 does it: `Authorization: PortOne <API secret>` (what the
official SDKs send), or `Bearer <access token>` from `POST /login/api-secret`."""

from __future__ import annotations

import secrets
import threading

from .errors import PortOneError

DEFAULT_API_SECRET = "portone-fake-api-secret-0123456789abcdefghijklmnopqrstuvwxyz"


class Authenticator:
    """The accepted API secrets and the access tokens issued for them."""

    def __init__(self, api_secrets: set[str]):
        self.api_secrets = api_secrets
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def login(self, api_secret: str) -> dict[str, str]:
        if api_secret not in self.api_secrets:
            raise PortOneError("UNAUTHORIZED", "API secret이 올바르지 않습니다.")
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.add(access)
        return {"accessToken": access, "refreshToken": refresh}

    def require(self, header: str | None) -> None:
        """Raise PortOne's 401 unless `header` carries an accepted secret or token."""
        if not header:
            raise PortOneError("UNAUTHORIZED", "인증 정보가 없습니다. (Authorization header)")
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme == "PortOne" and credential in self.api_secrets:
            return
        if scheme == "Bearer":
            with self._lock:
                if credential in self._tokens:
                    return
        raise PortOneError("UNAUTHORIZED", "인증 정보가 올바르지 않습니다.")
