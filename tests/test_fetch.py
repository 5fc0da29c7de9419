"""The fetcher: real pages over loopback, timeouts, types, redirect caps, and SSRF refusals before connecting."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from parallax.sources import fetch
from tests.fixtures.pageserver import page_server_fixture  # noqa: F401  (fixture)

LIMITS: dict[str, Any] = {"timeout": 5.0, "max_redirects": 3, "max_bytes": 100_000, "allow_private": True}


@pytest.fixture()
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Record (and block) every outgoing connection attempt."""
    attempts: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(args)
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_fetches_html_page(page_server: tuple[str, list[str]]) -> None:
    """A page on loopback (private addresses allowed) comes back with its type and bytes."""
    base, requests = page_server
    page = fetch.fetch(base + "/article", **LIMITS)
    assert page.url == base + "/article" and page.content_type == "text/html" and page.charset == "utf-8"
    assert b"Harbour bridge" in page.body and requests == ["/article"]


def test_follows_redirects_up_to_the_cap(page_server: tuple[str, list[str]]) -> None:
    """Three redirects are followed; the final URL is reported."""
    base, requests = page_server
    page = fetch.fetch(base + "/hop/2", **LIMITS)
    assert page.url == base + "/article" and requests == ["/hop/2", "/hop/1", "/hop/0", "/article"]


def test_redirect_loop_stops_at_the_cap(page_server: tuple[str, list[str]]) -> None:
    """A redirect loop ends with 502 after FETCH_MAX_REDIRECTS hops, not forever."""
    base, requests = page_server
    with pytest.raises(fetch.FetchError, match=r"too many redirects \(more than 3\)") as info:
        fetch.fetch(base + "/loop", **LIMITS)
    assert info.value.cause == "too_many_redirects" and len(requests) == 4


def test_timeout(page_server: tuple[str, list[str]]) -> None:
    """A server slower than the timeout gives 504."""
    base, _ = page_server
    with pytest.raises(fetch.FetchError, match=r"took longer than 0\.5 seconds") as info:
        fetch.fetch(base + "/slow", **{**LIMITS, "timeout": 0.5})
    assert info.value.cause == "timeout"


@pytest.fixture()
def dribbling_server() -> Iterator[str]:
    """A loopback server that sends its headers at once, then one body byte every 0.5 s (for at most 8 s)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65_536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
            ends = time.monotonic() + 8
            try:
                while time.monotonic() < ends and not stop.wait(0.5):
                    conn.sendall(b"x")
            except OSError:
                return  # the client gave up

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    stop.set()
    listener.close()
    thread.join(timeout=10)


def test_timeout_while_the_body_dribbles_in(dribbling_server: str) -> None:
    """The time limit holds while reading the body: a byte every 0.5 s cannot keep a 2 s fetch going."""
    started = time.monotonic()
    with pytest.raises(fetch.FetchError, match=r"took longer than 2 seconds") as info:
        fetch.fetch(dribbling_server, **{**LIMITS, "timeout": 2.0})
    elapsed = time.monotonic() - started
    assert info.value.cause == "timeout" and elapsed < 3.0, elapsed


def test_non_html_refused(page_server: tuple[str, list[str]]) -> None:
    """JSON (or any non-HTML type) gives 415."""
    base, _ = page_server
    with pytest.raises(fetch.FetchError, match=r"not an HTML page .*application/json") as info:
        fetch.fetch(base + "/json", **LIMITS)
    assert info.value.cause == "not_html"


def test_too_big_refused(page_server: tuple[str, list[str]]) -> None:
    """A page over the byte limit gives 413."""
    base, _ = page_server
    with pytest.raises(fetch.FetchError, match="over the limit of 100,000 bytes") as info:
        fetch.fetch(base + "/big", **LIMITS)
    assert info.value.cause == "too_large"


def test_http_error_status(page_server: tuple[str, list[str]]) -> None:
    """A 404 from the server gives 502 naming it."""
    base, _ = page_server
    with pytest.raises(fetch.FetchError, match="answered 404") as info:
        fetch.fetch(base + "/missing", **LIMITS)
    assert info.value.cause == "http_error"


def test_redirect_to_metadata_is_refused_at_that_hop(page_server: tuple[str, list[str]]) -> None:
    """Every hop is re-checked: a redirect to the metadata address is refused, even with private allowed."""
    base, requests = page_server
    with pytest.raises(fetch.FetchError, match="cloud metadata") as info:
        fetch.fetch(base + "/to-metadata", **LIMITS)
    assert info.value.cause == "forbidden_address" and requests == ["/to-metadata"]


@pytest.mark.parametrize(("url", "reason"), [
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://[fd00:ec2::254]/", "cloud metadata"),
    ("http://169.254.10.10/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://2852039166/", "cloud metadata"),  # numeric forms the resolver reads as 169.254.169.254
    ("http://0251.0376.0251.0376/", "cloud metadata"),
    ("http://0xa9fea9fe/", "cloud metadata"),
    ("http://169.254.0xa9fe/", "cloud metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata host"),
])
def test_always_refused_even_when_private_is_allowed(url: str, reason: str,
                                                     no_connections: list[tuple[Any, ...]]) -> None:
    """Link-local and metadata addresses are refused before connecting, whatever FETCH_ALLOW_PRIVATE says."""
    with pytest.raises(fetch.FetchError, match=reason) as info:
        fetch.fetch(url, **LIMITS)
    assert info.value.cause == "forbidden_address" and no_connections == []


def teredo(server: str, client: str) -> str:
    """A Teredo address (2001::/32) for this server and client (the client's bits are inverted, RFC 4380)."""
    bits = (0x2001_0000 << 96) | (int(ipaddress.IPv4Address(server)) << 64) | (
        int(ipaddress.IPv4Address(client)) ^ 0xFFFF_FFFF)
    return str(ipaddress.IPv6Address(bits))


EMBEDDED_METADATA = [
    ("2002:a9fe:a9fe::1", "cloud metadata"),  # 6to4 of 169.254.169.254
    ("64:ff9b::a9fe:a9fe", "cloud metadata"),  # well-known NAT64 prefix
    ("64:ff9b::a9fe:101", "link-local"),  # NAT64 of 169.254.1.1
    ("64:ff9b:1:a9fe:a9:fe00::", "cloud metadata"),  # local-use NAT64 prefix, /48 layout
    ("64:ff9b:1::a9fe:a9fe", "cloud metadata"),  # local-use NAT64 prefix, /96 layout
    (teredo("169.254.169.254", "93.184.216.34"), "cloud metadata"),  # Teredo server
    (teredo("93.184.216.34", "169.254.169.254"), "cloud metadata"),  # Teredo client
    ("::a9fe:a9fe", "cloud metadata"),  # IPv4-compatible
]


@pytest.mark.parametrize("allow_private", [True, False])
@pytest.mark.parametrize(("address", "reason"), EMBEDDED_METADATA)
def test_ipv4_embedded_in_ipv6_is_checked(address: str, reason: str, allow_private: bool,
                                          no_connections: list[tuple[Any, ...]]) -> None:
    """IPv4 inside 6to4, Teredo, NAT64 and IPv4-compatible addresses gets the IPv4 rules, before connecting."""
    assert reason in (fetch.address_refusal(ipaddress.ip_address(address), allow_private) or "")
    with pytest.raises(fetch.FetchError, match=reason) as info:
        fetch.fetch(f"http://[{address}]/", **{**LIMITS, "allow_private": allow_private})
    assert info.value.cause == "forbidden_address" and no_connections == []


def test_embedded_private_ipv4_needs_allow_private() -> None:
    """A private IPv4 address inside 6to4 or NAT64 is refused unless private fetches are allowed; public passes."""
    check = fetch.address_refusal
    for address in ("2002:a00:1::1", "64:ff9b::a00:1", "64:ff9b::7f00:1"):  # 10.0.0.1, 10.0.0.1, 127.0.0.1
        assert "private, loopback or reserved" in (check(ipaddress.ip_address(address), False) or ""), address
        assert check(ipaddress.ip_address(address), True) is None, address
    assert "embeds 10.0.0.1" in (check(ipaddress.ip_address("2002:a00:1::1"), False) or "")
    for address in ("2002:5db8:d822::1", "64:ff9b::5db8:d822"):  # 93.184.216.34
        assert check(ipaddress.ip_address(address), False) is None, address
    assert check(ipaddress.ip_address(teredo("93.184.216.34", "198.51.100.7")), True) is None


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://127.0.0.1:9/", "http://192.168.1.1/",
                                 "http://[::1]/", "http://0.0.0.0/", "http://[::ffff:10.0.0.1]/",
                                 "http://100.64.0.1/"])
def test_private_refused_unless_allowed(url: str, no_connections: list[tuple[Any, ...]]) -> None:
    """Private, loopback and reserved addresses are refused before connecting when not allowed."""
    with pytest.raises(fetch.FetchError, match="refusing to fetch") as info:
        fetch.fetch(url, **{**LIMITS, "allow_private": False})
    assert info.value.cause == "forbidden_address" and no_connections == []


def test_host_names_are_resolved_and_checked(monkeypatch: pytest.MonkeyPatch,
                                             no_connections: list[tuple[Any, ...]]) -> None:
    """A public-looking name that resolves to a private address is refused before connecting."""
    def fake_getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(fetch.FetchError, match=r"10\.0\.0\.1 is a private"):
        fetch.fetch("http://innocent.example/", **{**LIMITS, "allow_private": False})
    assert no_connections == []


def test_connects_to_the_checked_address(monkeypatch: pytest.MonkeyPatch, page_server: tuple[str, list[str]]) -> None:
    """The connection goes to the address that was checked, with the original Host header (no second lookup)."""
    base, _ = page_server
    port = int(base.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1", "10.0.0.1"])  # a rebinding resolver: a second answer would be private
    looked_up: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host: str, port_: int, *args: Any, **kwargs: Any) -> list[Any]:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            looked_up.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port_))]
        return real_getaddrinfo(host, port_, *args, **kwargs)  # an IP literal: no DNS involved

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    page = fetch.fetch(f"http://news.test:{port}/article", **{**LIMITS, "allow_private": True})
    assert b"Harbour bridge" in page.body and looked_up == ["news.test"]
    assert page_server[1] == ["/article"]


def test_bad_urls() -> None:
    """Non-http schemes, credentials and missing hosts are refused."""
    for url, message in (("file:///etc/passwd", "only http and https"), ("ftp://x/", "only http and https"),
                         ("http://user:pw@example.com/", "user name or password"), ("http:///x", "no host")):
        with pytest.raises(fetch.FetchError, match=message):
            fetch.fetch(url, **LIMITS)


def test_address_refusal_table() -> None:
    """Public addresses pass; the rest are named."""
    check = fetch.address_refusal
    assert check(ipaddress.ip_address("93.184.216.34"), False) is None
    assert check(ipaddress.ip_address("127.0.0.1"), True) is None
    assert "metadata" in (check(ipaddress.ip_address("169.254.169.254"), True) or "")
    assert "link-local" in (check(ipaddress.ip_address("::ffff:169.254.1.1"), True) or "")


@pytest.fixture()
def unicode_site() -> Iterator[tuple[str, list[str]]]:
    """A loopback server with a page at /café and a redirect whose Location is raw UTF-8 bytes."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/caf\u00e9".encode().decode("latin-1"))  # sent as UTF-8 bytes
                self.end_headers()
                return
            body = b"<html><body><article><p>A page with a non-ASCII address.</p></article></body></html>"
            self.send_response(200 if self.path == "/caf%C3%A9" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_non_ascii_paths_and_redirects_are_sent_percent_encoded(unicode_site: tuple[str, list[str]]) -> None:
    """As a browser does: /café is requested as /caf%C3%A9, also when a redirect's Location holds UTF-8 bytes."""
    from parallax.sources import refetch

    base, seen = unicode_site
    assert fetch.fetch(base + "/café", **LIMITS).url == base + "/café"
    assert fetch.fetch(base + "/moved", **LIMITS).url == base + "/café"
    assert refetch.fetch_conditional(base + "/café", "article", **LIMITS).http_status == 200
    assert refetch.fetch_conditional(base + "/moved", "article", **LIMITS).url == base + "/café"
    assert seen == ["/caf%C3%A9", "/moved", "/caf%C3%A9", "/caf%C3%A9", "/moved", "/caf%C3%A9"]


def test_non_ascii_host_names_are_sent_as_idna() -> None:
    scheme, host, port, host_header, path = fetch.check_url("https://bücher.example:8443/straße?q=ü")
    assert (scheme, host, port) == ("https", "bücher.example", 8443)
    assert host_header == "xn--bcher-kva.example:8443" and path == "/stra%C3%9Fe?q=%C3%BC"


@pytest.mark.parametrize(("host", "address"), [
    ("2852039166", "169.254.169.254"), ("0251.0376.0251.0376", "169.254.169.254"), ("0xA9FEA9FE", "169.254.169.254"),
    ("169.254.43518", "169.254.169.254"), ("127.1", "127.0.0.1"), ("10.0.0.1.", "10.0.0.1"), ("::1", "::1"),
    ("[fd00:ec2::254]", "fd00:ec2::254"), ("example.com", None), ("08.1.1.1", None), ("1.2.3.4.5", None),
    ("256.1.1.1", None), ("0xa9_fe.1.1.1", None), ("+1.2.3.4", None), ("1..2", None), ("4294967296", None)])
def test_hosts_are_read_as_the_resolver_reads_them(host: str, address: str | None) -> None:
    """The one reading of a host that adding, watching and fetching share: numeric IPv4 forms included."""
    found = fetch.host_address(host)
    assert (str(found) if found is not None else None) == address
