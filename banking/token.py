"""OAuth2 (Keycloak) token manager for Banesco.

The access token lives in the shared cache until 60 s before `expires_in`, so every process and
thread reuses one token. Only one of them refreshes at a time (a cache lock taken with `add`); the
others wait for the new token to appear. Tokens and secrets are never logged.
"""

from __future__ import annotations

import hashlib
import time
import uuid

import requests
import structlog

from . import metrics
from .cache import shared_cache
from .conf import BanescoConfig
from .errors import ConfigurationError, TokenError, TokenUnavailable

log = structlog.get_logger(__name__)

REFRESH_MARGIN_SECONDS = 60
WAIT_POLL_SECONDS = 0.05


class TokenManager:
    def __init__(self, config: BanescoConfig, session: requests.Session, *, sleep=time.sleep):
        self.config = config
        self.session = session
        self.sleep = sleep
        ident = f"{config.environment}|{config.token_url}|{config.client_id}"
        digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
        self.key = f"{config.cache_prefix}:token:{digest}"
        self.lock_key = f"{self.key}:lock"

    # -- public -------------------------------------------------------------------------------
    def get_token(self) -> str:
        cache = shared_cache()
        token = cache.get(self.key)
        if token:
            return token
        deadline = time.monotonic() + self.config.token_lock_seconds
        while True:
            owner = uuid.uuid4().hex
            if cache.add(self.lock_key, owner, timeout=self.config.token_lock_seconds):
                try:
                    token = cache.get(self.key)  # someone may have refreshed just before us
                    if token:
                        return token
                    return self._fetch_and_store()
                finally:
                    if cache.get(self.lock_key) == owner:
                        cache.delete(self.lock_key)
            # Another process is refreshing: wait for its token.
            while time.monotonic() < deadline:
                self.sleep(WAIT_POLL_SECONDS)
                token = cache.get(self.key)
                if token:
                    return token
                if cache.get(self.lock_key) is None:
                    break  # the refresher gave up (error): try to take the lock ourselves
            else:
                raise TokenUnavailable("timed out waiting for another process to refresh the token")

    def invalidate(self, token: str) -> None:
        """Forget `token` (after a 401/403) unless another process already replaced it."""
        cache = shared_cache()
        if cache.get(self.key) == token:
            cache.delete(self.key)

    # -- internals ----------------------------------------------------------------------------
    def _fetch_and_store(self) -> str:
        cfg = self.config
        if not cfg.client_id or not cfg.client_secret:
            raise ConfigurationError("Banesco client id/secret are not configured", code="not_configured")
        data = {"grant_type": cfg.grant_type}
        if cfg.grant_type == "password":
            data.update(username=cfg.client_id, password=cfg.client_secret)
        if cfg.scope:
            data["scope"] = cfg.scope
        auth = None
        if cfg.client_auth == "basic":
            auth = (cfg.client_id, cfg.client_secret)
        else:
            data.update(client_id=cfg.client_id, client_secret=cfg.client_secret)
        try:
            response = self.session.post(
                cfg.token_url,
                data=data,
                auth=auth,
                timeout=cfg.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as exc:
            metrics.TOKEN_REFRESHES.labels(outcome="unreachable").inc()
            log.warning("banesco.token.unreachable", error_type=type(exc).__name__)
            raise TokenUnavailable(f"token endpoint unreachable ({type(exc).__name__})") from None

        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code == 200 and body.get("access_token"):
            token = str(body["access_token"])
            try:
                expires_in = int(body.get("expires_in") or 300)
            except (TypeError, ValueError):
                expires_in = 300
            ttl = max(1, expires_in - REFRESH_MARGIN_SECONDS)
            shared_cache().set(self.key, token, timeout=ttl)
            metrics.TOKEN_REFRESHES.labels(outcome="ok").inc()
            log.info("banesco.token.refreshed", expires_in=expires_in, cached_for=ttl)
            return token

        error = str(body.get("error") or f"http_{response.status_code}")
        description = str(body.get("error_description") or body.get("error") or response.reason or "")
        if response.status_code == 429 or response.status_code >= 500:
            metrics.TOKEN_REFRESHES.labels(outcome="unavailable").inc()
            log.warning("banesco.token.unavailable", http_status=response.status_code, error=error)
            raise TokenUnavailable(
                f"token endpoint answered {response.status_code}: {description}",
                code=error,
                http_status=response.status_code,
            )
        metrics.TOKEN_REFRESHES.labels(outcome="refused").inc()
        log.error(
            "banesco.token.refused",
            http_status=response.status_code,
            error=error,
            error_description=description,
        )
        raise TokenError(
            f"Banesco refused the token request: {error}: {description}",
            code=error,
            http_status=response.status_code,
        )
