"""Talking to one registry's distribution API (/v2/): transport, TLS, credentials, and errors a user can fix.

Plain ``requests`` (docker-py brings it) with docker-py's reader of ``~/.docker/config.json``
(credential helpers included): see docs/dependencies.md. A registry on this machine, or one
named with ``insecure``, is tried over HTTPS and then over plain HTTP, as the engine does
for an insecure registry; a certificate that fails verification is an error unless
``insecure``. On a 401 the challenge decides: ``Basic`` sends the stored credentials,
``Bearer`` fetches a token from the realm (with them, if any) for the scope asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from docker import auth as docker_auth

from .errors import NotInRegistry, RegistryDenied, RegistryUnavailable, UntrustedCertificate
from .reference import DOCKER_HUB, Reference

#: seconds to wait for a registry to accept the connection and to send each chunk
TIMEOUT = (10, 300)
DEFAULT_PLATFORM = "linux/amd64"
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class RegistryOptions:
    """How to reach registries: what `--platform`, `--insecure` and `--ca-cert` say."""

    platform: str = DEFAULT_PLATFORM
    insecure: bool = False
    """skip certificate verification, and allow plain HTTP, for every registry"""
    ca_cert: Path | None = None
    """a PEM file of CAs to trust instead of the system's"""


def stored_credentials(registry: str) -> tuple[str, str] | None:
    """(username, password) for ``registry`` from the docker config (and its credential helpers), if any."""
    config = docker_auth.load_config()
    entry = docker_auth.resolve_authconfig(config, None if registry == DOCKER_HUB else registry)
    if entry and entry.get("username") and entry.get("password"):
        return entry["username"], entry["password"]
    return None


class RegistryClient:
    """GETs against one registry for one repository, authenticated as its challenge asks."""

    def __init__(self, reference: Reference, options: RegistryOptions) -> None:
        self.reference = reference
        self.options = options
        self.session = requests.Session()
        # passed with each request: requests lets $REQUESTS_CA_BUNDLE override a session's own
        self.verify: bool | str = False if options.insecure else (str(options.ca_cert) if options.ca_cert else True)
        self._credentials = stored_credentials(reference.registry)
        self._base: str | None = None

    @property
    def base(self) -> str:
        """``scheme://host`` where this registry's API answers (found on first use)."""
        if self._base is None:
            self._base = self._find_base()
        return self._base

    def _find_base(self) -> str:
        host = self.reference.api_host
        plain_allowed = self.reference.loopback or self.options.insecure
        try:
            self.session.get(f"https://{host}/v2/", timeout=TIMEOUT, verify=self.verify)
            return f"https://{host}"
        except requests.exceptions.SSLError as error:
            if "CERTIFICATE_VERIFY_FAILED" in str(error) or not plain_allowed:
                raise UntrustedCertificate(self.reference.registry, _reason(error)) from error
        except requests.RequestException as error:
            if not plain_allowed:
                raise RegistryUnavailable(self.reference.registry, _reason(error)) from error
        try:
            self.session.get(f"http://{host}/v2/", timeout=TIMEOUT)
        except requests.RequestException as error:
            raise RegistryUnavailable(self.reference.registry, _reason(error)) from error
        return f"http://{host}"

    def get(self, path: str, accept: str | None = None, stream: bool = False) -> requests.Response:
        """GET ``/v2/<repository>/<path>``, authenticating once if challenged; an error for any failure."""
        url = f"{self.base}/v2/{self.reference.repository}/{path}"
        headers = {"Accept": accept} if accept else {}
        response = self._send(url, headers, stream)
        if response.status_code == 401:
            self._authenticate(response)
            response = self._send(url, headers, stream)
        if response.status_code in (401, 403):
            raise RegistryDenied(
                str(self.reference), self.reference.registry, response.status_code, self._credentials is not None
            )
        if response.status_code == 404:
            reference = self.reference
            raise NotInRegistry(str(reference), reference.registry, reference.repository, _error_code(response))
        if not response.ok:
            raise RegistryUnavailable(self.reference.registry, f"HTTP {response.status_code} for {url}")
        return response

    def _send(self, url: str, headers: dict[str, str], stream: bool) -> requests.Response:
        try:
            return self.session.get(url, headers=headers, stream=stream, timeout=TIMEOUT, verify=self.verify)
        except requests.exceptions.SSLError as error:
            raise UntrustedCertificate(self.reference.registry, _reason(error)) from error
        except requests.RequestException as error:
            raise RegistryUnavailable(self.reference.registry, _reason(error)) from error

    def _authenticate(self, challenged: requests.Response) -> None:
        """Answer the registry's WWW-Authenticate challenge: basic credentials, or a bearer token."""
        scheme, _, params = challenged.headers.get("WWW-Authenticate", "").partition(" ")
        if scheme.lower() == "basic":
            if self._credentials:
                self.session.auth = self._credentials
            return
        if scheme.lower() != "bearer":
            return
        fields = dict(_CHALLENGE_PARAM.findall(params))
        query = {"service": fields.get("service", ""), "scope": f"repository:{self.reference.repository}:pull"}
        try:
            answer = self.session.get(
                fields.get("realm", ""), params=query, auth=self._credentials, timeout=TIMEOUT, verify=self.verify
            )
        except requests.RequestException as error:
            raise RegistryUnavailable(fields.get("realm", self.reference.registry), _reason(error)) from error
        if not answer.ok:
            raise RegistryDenied(
                str(self.reference), self.reference.registry, answer.status_code, bool(self._credentials)
            )
        token = _json(answer).get("token") or _json(answer).get("access_token")
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"


def chunks(response: requests.Response, size: int = 1 << 20) -> Iterator[bytes]:
    """The body of a streamed response, ``size`` bytes at a time; a broken connection as RegistryUnavailable."""
    try:
        yield from response.iter_content(size)
    except requests.RequestException as error:
        raise RegistryUnavailable(response.url, _reason(error)) from error
    finally:
        response.close()


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_code(response: requests.Response) -> str:
    """The distribution API's error code (MANIFEST_UNKNOWN, NAME_UNKNOWN, ...), else the HTTP status."""
    errors = _json(response).get("errors") or [{}]
    return str(errors[0].get("code") or f"HTTP {response.status_code}")


def _reason(error: Exception) -> str:
    """The useful part of a requests error: TLS's or the socket's own words, else its first line."""
    text = str(error)
    certificate = re.search(r"certificate verify failed[^')\"]*", text)
    if certificate:
        return certificate.group(0).strip()
    for marker in ("Connection refused", "Name or service not known", "timed out"):
        if marker in text:
            return marker
    return text.splitlines()[0][:300] if text else type(error).__name__
