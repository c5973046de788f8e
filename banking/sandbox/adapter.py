"""The simulator as a `requests` transport adapter (no extra process)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .app import handle
from .state import SandboxState, default_state


class SandboxAdapter(BaseAdapter):
    def __init__(self, state: SandboxState | None = None, *, sleep=time.sleep):
        super().__init__()
        self.state = state or default_state()
        self.sleep = sleep

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        answer = handle(self.state, request.method, urlsplit(request.url).path, request.headers, request.body)
        if answer.hang or (read_timeout is not None and answer.delay > read_timeout):
            # Simulated: wait no longer than the client would, then time out like urllib3 does.
            self.sleep(min(read_timeout or 0, answer.delay or 0))
            raise requests.exceptions.ReadTimeout(
                f"sandbox: read timed out ({read_timeout}s)", request=request
            )
        if answer.delay:
            self.sleep(answer.delay)
        response = requests.Response()
        response.status_code = answer.status
        response.reason = {200: "OK", 201: "Created"}.get(answer.status, "Error")
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.body
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass
