"""Posting JSON to one of several Vigil nodes, the way `vigil run` does
(Sources/RunWrapper/NodeFailoverClient.swift): the node that answered last first, then the next
when one does not answer (refused, timed out, 5xx). A 4xx is the node's considered refusal, which
every node would repeat, so it is not tried elsewhere. Nothing here raises for a network error."""
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Union

import requests

log = logging.getLogger("vigil_client")

DEFAULT_API = "http://localhost:8000"


@dataclass(frozen=True)
class Answer:
    """What the nodes answered: `accepted` (2xx), `refused` (4xx) or neither (no node answered)."""

    accepted: bool
    refused: bool
    status: Optional[int]
    base: Optional[str]
    detail: str
    body: Any = None

    @property
    def unreachable(self) -> bool:
        return not self.accepted and not self.refused


def parse_bases(api: Union[str, Sequence[str], None]) -> List[str]:
    """Node URLs from a comma-separated string or a list; `None` reads `API_BASE_URL`."""
    if api is None:
        api = os.environ.get("API_BASE_URL") or DEFAULT_API
    parts = api.split(",") if isinstance(api, str) else list(api)
    bases = [p.strip().rstrip("/") for p in parts if p and p.strip()]
    for base in bases:
        if not (base.startswith("http://") or base.startswith("https://")):
            raise ValueError(f"{base} is not a node URL (http[s]://host:port, comma-separated for several)")
    if not bases:
        raise ValueError("no node URL in api / API_BASE_URL")
    return bases


class Nodes:
    """The node URLs, the token, and which node answered last. Thread-safe; one HTTP session per
    thread (a `requests.Session` is not meant to be shared between threads)."""

    def __init__(self, api: Union[str, Sequence[str], None] = None, token: Optional[str] = None,
                 timeout: float = 10.0, connect_timeout: float = 3.0, verify: Union[bool, str, None] = None) -> None:
        self.bases = parse_bases(api)
        self.token = token if token is not None else os.environ.get("VIGIL_TOKEN") or None
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.verify = verify if verify is not None else (os.environ.get("VIGIL_CA_FILE") or True)
        self._current = 0
        self._lock = threading.Lock()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def headers(self) -> Dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def post(self, path: str, body: Union[bytes, Dict[str, Any]], timeout: Optional[float] = None) -> Answer:
        """POSTs `body` to `path`, trying every node once, the last one that answered first."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self._lock:
            start = self._current
        errors = []
        read_timeout = timeout or self.timeout
        for step in range(len(self.bases)):
            index = (start + step) % len(self.bases)
            base = self.bases[index]
            try:
                response = self._session().post(base + path, data=data, headers=self.headers(),
                                                timeout=(min(self.connect_timeout, read_timeout), read_timeout),
                                                verify=self.verify, allow_redirects=False)
            except requests.RequestException as error:
                errors.append(f"{base}: {error.__class__.__name__}")
                continue
            except Exception as error:  # never into the job
                errors.append(f"{base}: {error!r}")
                continue
            status = response.status_code
            if 200 <= status < 300 or 400 <= status < 500:
                with self._lock:
                    self._current = index
                return Answer(200 <= status < 300, 400 <= status < 500, status, base, _message(response), _json(response))
            errors.append(f"{base} answered {status}")
        with self._lock:
            self._current = (start + 1) % len(self.bases)
        return Answer(False, False, None, None, "; ".join(errors))

    def post_until(self, path: str, body: bytes, deadline_s: float) -> Answer:
        """Tries every node, again and again (0.5 s doubling to 5 s), until one answers or
        `deadline_s` seconds pass; the last answer."""
        deadline = time.monotonic() + deadline_s
        delay = 0.5
        while True:
            answer = self.post(path, body)
            if not answer.unreachable or time.monotonic() + delay >= deadline:
                return answer
            time.sleep(delay)
            delay = min(5.0, delay * 2)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _message(response: requests.Response) -> str:
    body = _json(response)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return response.text[:200]
