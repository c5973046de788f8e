"""Which URLs a webhook endpoint may use (SSRF protection).

In production (`WEBHOOKS["REQUIRE_HTTPS"]`, `WEBHOOKS["ALLOW_PRIVATE_ADDRESSES"]` = False) a URL must
be https and its host must resolve only to public addresses: no loopback, private, shared (CGNAT),
link-local, multicast, reserved or cloud-metadata address, also when embedded in an IPv6 address
(IPv4-mapped, 6to4, NAT64). The check runs at registration and again before every delivery, and
the delivery connects to the very address checked here (`Target.address`), so a DNS answer that
changes in between (DNS rebinding) cannot redirect it. Local and test settings may allow
`http://127.0.0.1`.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(Exception):
    """The URL is not allowed as a webhook endpoint (the message says why; no secrets in it)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL: the Host header, TLS SNI and certificate name
    port: int
    path: str  # path and query
    address: str  # the checked IP address to connect to

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _policy() -> tuple[bool, bool]:
    conf = settings.WEBHOOKS
    return bool(conf["REQUIRE_HTTPS"]), bool(conf["ALLOW_PRIVATE_ADDRESSES"])


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(value: str) -> bool:
    ip = ipaddress.ip_address(value.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public_address(str(inner)):
            return False
    return ip.is_global and not ip.is_multicast and ip not in METADATA_ADDRESSES


def parse(url: str) -> tuple[str, str, int, str]:
    """Syntax and scheme: (scheme, host, port, path). Raises UnsafeURL."""
    require_https, _ = _policy()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("the URL must be http or https")
    if require_https and scheme != "https":
        raise UnsafeURL("the URL must be https")
    if parts.username or parts.password:
        raise UnsafeURL("the URL must not contain credentials")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("the URL has no host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """Parse, resolve and check `url`; the Target names the address to connect to."""
    scheme, host, port, path = parse(url)
    _, allow_private = _policy()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL("the host name does not resolve") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeURL("the host name does not resolve")
    if not allow_private:
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            # Any non-public answer refuses the host: the connection could be steered to it.
            raise UnsafeURL(f"the host resolves to a non-public address ({refused[0]})")
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
