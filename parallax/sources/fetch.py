"""Fetching a web page to add as a source, without letting the URL reach into the internal network.

Every hop (the first URL and each redirect) is resolved here, every resolved address is checked, and the
connection goes to the checked address itself, so a second DNS answer cannot swap in another host.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urljoin, urlsplit

from parallax.errors import ParallaxError

USER_AGENT = "Parallax/0.1 (adding a source for side-by-side reading)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9"
_CHUNK = 65_536

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Never fetched, whatever PARALLAX_FETCH_ALLOW_PRIVATE says: link-local ranges and cloud metadata services.
ALWAYS_REFUSED_NETWORKS = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                                ipaddress.ip_address("100.100.100.200")})
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})

# IPv6 ranges that carry an IPv4 address (RFC 6052 NAT64, RFC 4291 IPv4-compatible; 6to4 and Teredo are
# recognised by the ipaddress module), and which bytes hold the IPv4 address after a NAT64 prefix of /48, /56,
# /64 or /96 (RFC 6052 section 2.2: byte 8 is always skipped); the local-use prefix may be used at any of them.
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_RFC6052_BYTES = ((6, 7, 9, 10), (7, 9, 10, 11), (9, 10, 11, 12), (12, 13, 14, 15))


FetchCause = Literal[
    "bad_url",             # not an http(s) URL we can split, or with credentials or a bad port
    "forbidden_address",   # a private, loopback, link-local or metadata address
    "unresolvable",        # the host name has no address
    "connection_failed",   # the connection or TLS failed
    "http_error",          # the server answered something other than 200
    "too_many_redirects",
    "not_html",            # the page is not HTML
    "too_large",           # over MAX_UPLOAD_BYTES
    "timeout",             # over FETCH_TIMEOUT
]


class FetchError(ParallaxError):
    """A URL that could not be fetched: the message says why, ``cause`` names the kind of failure (the web layer
    decides how to answer it)."""

    def __init__(self, message: str, cause: FetchCause = "bad_url") -> None:
        super().__init__(message, cause)
        self.cause: FetchCause = cause


@dataclass(frozen=True)
class Page:
    """A fetched HTML page: the final URL after redirects, its media type and charset, and the raw bytes."""

    url: str
    content_type: str
    charset: str
    body: bytes


def _unmapped(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address wholly stands for (IPv4-mapped, well-known NAT64 prefix), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64_WELL_KNOWN:
            return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return address


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses carried inside an IPv6 address: 6to4, Teredo (server and client) and IPv4-compatible;
    none for other addresses."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in IPV4_COMPATIBLE and int(address) > 1:  # not :: or ::1
        found.append(ipaddress.IPv4Address(int(address)))
    return found


def nat64_local_readings(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a local-use NAT64 address (64:ff9b:1::/48) may stand for: one per prefix length the
    translator may use, since the address alone does not say which; none for other addresses."""
    if not isinstance(address, ipaddress.IPv6Address) or address not in NAT64_LOCAL_USE:
        return []
    packed = address.packed
    return [ipaddress.IPv4Address(bytes(packed[i] for i in positions)) for positions in _RFC6052_BYTES]


def _refusal(address: IPAddress, allow_private: bool) -> str | None:
    """Why this one address (embedded ones aside) must not be fetched, said after the address, or None."""
    if address in METADATA_ADDRESSES:
        return "is a cloud metadata address"
    if any(address in net for net in ALWAYS_REFUSED_NETWORKS if net.version == address.version):
        return "is a link-local address"
    if address.is_multicast or address.is_unspecified:
        return "is not a unicast address"
    if not allow_private and (address.is_private or address.is_loopback or address.is_reserved
                              or not address.is_global):
        return "is a private, loopback or reserved address (set PARALLAX_FETCH_ALLOW_PRIVATE to allow it)"
    return None


def address_refusal(address: IPAddress, allow_private: bool) -> str | None:
    """Why this address must not be fetched, or None when it may be.

    IPv4 addresses embedded in an IPv6 one get the same rules, since 6to4, Teredo and NAT64 relays deliver to
    them; a local-use NAT64 address is refused when any of its possible readings is a metadata or link-local
    address (the private rules need no reading: the prefix itself is not global).
    """
    address = _unmapped(address)
    inner = embedded_ipv4(address)
    for allow in (True, allow_private):  # the rules that always hold first, so the gravest reason is named
        reason = _refusal(address, allow)
        if reason:
            return f"{address} {reason}"
        for embedded in inner:
            reason = _refusal(embedded, allow)
            if reason:
                return f"{address} embeds {embedded}, which {reason}"
        for reading in nat64_local_readings(address):
            if reading in METADATA_ADDRESSES or any(reading in net for net in ALWAYS_REFUSED_NETWORKS
                                                    if net.version == 4):
                return f"{address} may embed {reading}, which {_refusal(reading, True)}"
    return None


def _ipv4_number(part: str) -> int | None:
    """One dotted part of an IPv4 host as the resolver reads it: 0x… hexadecimal, 0… octal, else decimal."""
    base, digits = (16, part[2:]) if part[:2].lower() == "0x" else (8, part[1:]) if part[:1] == "0" else (10, part)
    allowed = "0123456789abcdef"[:base]
    if any(char not in allowed for char in digits) or (base == 10 and not digits):
        return None
    return int(digits or "0", base)


def host_address(host: str) -> IPAddress | None:
    """The IP address a URL's host is, read as the system resolver (inet_aton) and browsers read it, or None for
    a host name. Besides the usual forms this reads IPv4 written as one number ("2852039166"), in hexadecimal
    ("0xa9fea9fe"), in octal parts ("0251.0376.0251.0376") or in fewer than four parts ("169.254.43518"), which
    all reach 169.254.169.254. Checking the host any other way would let such a form pass the address checks."""
    name = host.strip("[]").rstrip(".").lower()
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    parts = name.split(".")
    if not name or len(parts) > 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return None
    packed = sum(n << (8 * (3 - i)) for i, n in enumerate(values[:-1])) + values[-1]
    return ipaddress.IPv4Address(packed)


def resolve(host: str, port: int, allow_private: bool) -> IPAddress:
    """Resolve a host name and check every address it has; return the first one (refusing if any is bad)."""
    name = host.rstrip(".").lower()
    if name in METADATA_HOSTS:
        raise FetchError(f"refusing to fetch from {host}: it is a cloud metadata host", "forbidden_address")
    literal = host_address(name)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise FetchError(f"cannot resolve host {host!r}: {error}", "unresolvable") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise FetchError(f"host {host!r} has no address", "unresolvable")
    for address in addresses:
        reason = address_refusal(address, allow_private)
        if reason:
            raise FetchError(f"refusing to fetch {host}: {reason}", "forbidden_address")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to an already-checked IP address."""

    def connect(self) -> None:
        """Open the socket to the pinned address."""
        self.sock = socket.create_connection((self.host, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to an already-checked IP address, verifying the certificate for the host name."""

    def __init__(self, address: str, port: int, server_hostname: str, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout)
        self._server_hostname = server_hostname
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        """Open the socket to the pinned address and start TLS for the real host name."""
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self._server_hostname)


def check_url(url: str) -> tuple[str, str, int, str, str]:
    """Split a URL into scheme, host, port, Host header and request path, refusing what cannot be fetched."""
    try:
        parts = urlsplit(url.strip())
        hostname = parts.hostname
    except ValueError as error:
        raise FetchError(f"the URL {url!r} cannot be read: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {url!r}")
    if not hostname:
        raise FetchError(f"the URL {url!r} has no host")
    if parts.username or parts.password:
        raise FetchError("URLs with a user name or password are not fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError(f"the URL {url!r} has an invalid port") from None
    host_header = parts.netloc.rpartition("@")[2]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if any(ord(char) < 33 or ord(char) == 127 for char in host_header + path):
        raise FetchError(f"the URL {url!r} contains spaces or control characters")
    # As a browser does: a non-ASCII path is sent percent-encoded as UTF-8, a non-ASCII host name as IDNA
    # (http.client sends ASCII only, and raised UnicodeEncodeError on "/café" or "新闻.example").
    path = "".join(char if char.isascii() else quote(char, safe="") for char in path)
    if not host_header.isascii():
        try:
            host_header = host_header.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError(f"the URL {url!r} has a host name that cannot be encoded") from None
    return parts.scheme, hostname, port, host_header, path


def redirect_target(current: str, location: str) -> str:
    """The absolute URL a redirect's Location points to; http.client reads header bytes as Latin-1, so a server
    that sends a UTF-8 path (as browsers accept) is read back as UTF-8."""
    with contextlib.suppress(UnicodeError):  # not UTF-8 bytes: keep the Latin-1 reading
        location = location.encode("latin-1").decode("utf-8")
    return urljoin(current, location)


def _media_type(header: str) -> tuple[str, str]:
    """The media type and charset parameter of a Content-Type header."""
    kind, _, params = header.partition(";")
    charset = ""
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"\'')
    return kind.strip().lower(), charset


def _read_limited(response: http.client.HTTPResponse, sock: socket.socket, max_bytes: int,
                  deadline: float) -> bytes:
    """Read the body, refusing more than ``max_bytes``; TimeoutError once the deadline passes.

    Each read waits at most for the time left (the socket's timeout is set to it) and returns whatever has
    arrived (``read1``), so a server sending a byte now and then cannot stretch the fetch past the deadline.
    """
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"the page is {int(declared):,} bytes, over the limit of {max_bytes:,} bytes", "too_large")
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the page took too long to download")
        sock.settimeout(max(0.01, remaining))
        chunk = response.read1(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"the page is over the limit of {max_bytes:,} bytes", "too_large")
        chunks.append(chunk)


def _open(url: str, timeout: float, allow_private: bool, headers: Mapping[str, str]) -> tuple[
        http.client.HTTPConnection, http.client.HTTPResponse, socket.socket]:
    """Check, resolve and request one URL with these headers; the caller closes the connection.

    The socket is returned too: the connection forgets it when the response is the last on it (HTTP/1.0 or
    ``Connection: close``), but the body is still read through it.
    """
    scheme, host, port, host_header, path = check_url(url)
    address = str(resolve(host, port, allow_private))
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = _PinnedHTTPSConnection(address, port, host, timeout)
    else:
        connection = _PinnedHTTPConnection(address, port, timeout=timeout)
    connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host_header)
    for name, value in {"User-Agent": USER_AGENT, "Accept": HTML_ACCEPT, **headers,
                        "Accept-Encoding": "identity"}.items():
        connection.putheader(name, value)
    connection.endheaders()
    sock = connection.sock
    if sock is None:
        raise OSError("the connection closed before the request was sent")
    return connection, connection.getresponse(), sock


class StatusError(FetchError):
    """The server answered with an HTTP error, kept in ``http_status`` (the watcher logs it)."""

    def __init__(self, message: str, http_status: int) -> None:
        super().__init__(message, "http_error")
        self.http_status = http_status


@dataclass(frozen=True)
class Answer:
    """A request's final answer after redirects: the server's ``http_status`` (200 with the body, or 304 "not
    modified" with none) and the validators (ETag, Last-Modified) to send next time."""

    http_status: int
    url: str
    content_type: str
    charset: str
    body: bytes
    etag: str
    last_modified: str


def request(url: str, *, timeout: float, max_redirects: int, max_bytes: int, allow_private: bool,
            headers: Mapping[str, str] | None = None, accepts: Callable[[str], bool] = lambda t: t in HTML_TYPES,
            wanted: str = "an HTML page") -> Answer:
    """GET a URL, following at most ``max_redirects`` redirects, each hop checked and pinned before connecting.

    ``headers`` are sent with every hop (validators, Accept, User-Agent); ``accepts`` says which media types are
    read and ``wanted`` names them in the refusal. The time limit covers the whole request, body included.
    """
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    current = url.strip()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"fetching {url} took longer than {timeout:g} seconds", "timeout")
        connection: http.client.HTTPConnection | None = None
        response: http.client.HTTPResponse | None = None
        try:
            connection, response, sock = _open(current, remaining, allow_private, headers or {})
            location = response.getheader("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                seen.append(current)
                if len(seen) > max_redirects:
                    raise FetchError(f"too many redirects (more than {max_redirects}) fetching {url}",
                                     "too_many_redirects")
                current = redirect_target(current, location)
                continue
            etag = (response.getheader("ETag") or "").strip()[:512]
            modified = (response.getheader("Last-Modified") or "").strip()[:128]
            if response.status == 304:
                return Answer(304, current, "", "", b"", etag, modified)
            if response.status != 200:
                raise StatusError(f"the server answered {response.status} {response.reason} for {current}",
                                  response.status)
            kind, charset = _media_type(response.getheader("Content-Type") or "")
            if not accepts(kind):
                raise FetchError(f"{current} is not {wanted} (its type is {kind or 'not given'})", "not_html")
            body = _read_limited(response, sock, max_bytes, deadline)
            return Answer(200, current, kind, charset, body, etag, modified)
        except TimeoutError:
            raise FetchError(f"fetching {url} took longer than {timeout:g} seconds", "timeout") from None
        except ssl.SSLError as error:
            raise FetchError(f"secure connection to {current} failed: {error.reason or error}",
                             "connection_failed") from None
        except (OSError, http.client.HTTPException) as error:
            raise FetchError(f"could not fetch {current}: {error}", "connection_failed") from None
        except ValueError as error:  # a redirect to a URL that cannot be read, an address that is not one
            raise FetchError(f"could not fetch {current}: {error}", "bad_url") from None
        finally:
            if response is not None:  # the connection no longer holds a response that ends the connection
                response.close()
            if connection is not None:
                connection.close()


def fetch(url: str, *, timeout: float, max_redirects: int, max_bytes: int, allow_private: bool) -> Page:
    """Fetch an HTML page to add as a source (a 304 cannot happen: no validators are sent)."""
    answer = request(url, timeout=timeout, max_redirects=max_redirects, max_bytes=max_bytes,
                     allow_private=allow_private)
    return Page(url=answer.url, content_type=answer.content_type, charset=answer.charset, body=answer.body)
