"""Named settings with defaults and help text, read from ``PARALLAX_*`` environment variables."""

from __future__ import annotations

import ipaddress
import itertools
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MIN_TOKEN_LENGTH = 16
MIN_TOKEN_BITS = 36  # estimated from the token's own characters (a random 16-character hex token has ~55)


class SettingError(ValueError):
    """A PARALLAX_* variable whose value cannot be read; the message names it (commands print it in one line)."""


@dataclass(frozen=True)
class Setting:
    """One configuration setting: its name (without prefix), default, type and help text."""

    name: str
    default: Any
    help: str

    def parse(self, raw: str) -> Any:
        """Convert an environment string to this setting's type."""
        kind = type(self.default)
        if kind is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off", ""):
                return False
            raise SettingError(f"PARALLAX_{self.name} must be true or false, not {raw!r}")
        if kind in (int, float):
            try:
                return kind(raw)
            except ValueError:
                raise SettingError(f"PARALLAX_{self.name} must be a number, not {raw!r}") from None
        return raw


SETTINGS: tuple[Setting, ...] = (
    Setting("CORPUS_DIR", str(ROOT / "corpus" if (ROOT / "corpus").is_dir() else Path("corpus").resolve()),
            "Folder of source files (one folder per story)."),
    Setting("CORPUS_RESCAN_SECONDS", 1.0, "How often the corpus folder is checked for added, edited or removed files "
            "when the file-system watcher cannot run (in the background, never on a request)."),
    Setting("CORPUS_WATCH", True, "Follow corpus changes with a file-system watcher (inotify) instead of checking "
            "every file every CORPUS_RESCAN_SECONDS."),
    Setting("CORPUS_FULL_RESCAN_SECONDS", 600.0, "How often every corpus file is checked in the background while "
            "the watcher runs: the safety net for changes a watcher can miss."),
    Setting("MAX_SOURCE_BYTES", 2_000_000, "Largest source file loaded; larger files are skipped and reported."),
    Setting("COMPARE_TIME_BUDGET", 2.0, "Seconds one comparison may spend before it falls back to coarser units."),
    Setting("COMPARE_MAX_CHARS", 2_000_000, "Characters per side above which a comparison aligns sentences only."),
    Setting("CACHE_URL", "", "Empty for an in-process cache; redis://host:port/db to share one between workers."),
    Setting("CACHE_SIZE", 256, "Comparisons kept by the in-process cache."),
    Setting("CACHE_TTL", 86_400, "Seconds a cached comparison is kept."),
    Setting("EDITOR_TOKEN", "", "Token required to add sources when the app listens beyond loopback; at least "
            f"{MIN_TOKEN_LENGTH} characters and not guessable (a weak token stops the app at start)."),
    Setting("EDITOR_SESSION_SECONDS", 43_200, "How long an editor's sign-in lasts (signing out ends it at once)."),
    Setting("SIGNIN_FAILURES_PER_CLIENT", 10, "Wrong editor tokens one client address may send per minute (sign-in "
            "form and API alike) before it is answered 429 until the minute is over; per server process."),
    Setting("SIGNIN_FAILURES_TOTAL", 60, "Wrong editor tokens all clients together may send per minute before "
            "every token check is answered 429 until the minute is over; per server process."),
    Setting("MAX_UPLOAD_BYTES", 5_000_000, "Largest upload or fetched page accepted when adding a source."),
    Setting("FETCH_TIMEOUT", 10.0, "Seconds allowed to fetch a URL when adding a source."),
    Setting("FETCH_MAX_REDIRECTS", 3, "Redirects followed when fetching a URL."),
    Setting("FETCH_ALLOW_PRIVATE", False, "Allow fetching from private and loopback addresses (never link-local)."),
    Setting("REQUIRE_TOKEN", "auto", "When adding sources needs EDITOR_TOKEN: 'auto' (only when HOST is not "
            "loopback), 'always' or 'never'."),
    Setting("DRAFT_DIR", "", "Folder for drafts between the add and confirm steps (outside the corpus, private to "
            "the server's user; not used when the app reads PostgreSQL, which keeps drafts in its `drafts` table); "
            "empty for 'parallax-drafts-<uid>' in the system temporary folder."),
    Setting("HOST", "127.0.0.1", "Address the server binds to."),
    Setting("PORT", 5000, "Port the server binds to."),
    Setting("URL_PREFIX", "", "Path prefix when served under a sub-path without a proxy setting SCRIPT_NAME."),
    Setting("TRUSTED_HOSTS", "", "Comma-separated host names the app answers to; empty means the loopback names "
            "when HOST is loopback and PROXY_HOPS is 0 (so a rebound DNS name cannot reach it), otherwise any."),
    Setting("PROXY_HOPS", 0, "Reverse proxies in front of the app whose X-Forwarded-* headers are trusted."),
    Setting("WORKERS", 2, "Server processes (python -m parallax.serve); one per CPU core is a good start."),
    Setting("THREADS", 4, "Threads per server process, so a slow comparison does not block other requests."),
    Setting("TIMEOUT", 30, "Seconds nginx waits for the app's answer (then 504) and gunicorn waits for a silent "
            "worker process; neither stops a busy request (the time budgets bound the work)."),
    Setting("PAGE_CACHE_SIZE", 64, "Rendered reading pages kept per process for readers without cookies; 0: off."),
    Setting("LOG_LEVEL", "info", "Server log level: debug, info, warning or error."),
    Setting("CONTROL_SOCKET", "", "Path of gunicorn's control socket for gunicornc; empty disables it."),
    Setting("SECRET_KEY", "", "Key that signs form tokens; a random one is made per process when empty."),
    Setting("FRONT", "nginx", "What faces clients in python -m parallax.serve: 'nginx' (buffers slow clients, "
            "serves /static, proxies to gunicorn on a private socket) or 'none' (gunicorn alone on HOST:PORT, for "
            "a server behind your own buffering proxy)."),
    Setting("TIMELINE_TIME_BUDGET", 3.0, "Seconds an article's timeline may spend comparing its captures; later "
            "steps link to their comparison without counts, and the page says so."),
    Setting("OVERVIEW_TIME_BUDGET", 3.0, "Seconds a story overview may spend matching passages before it shows "
            "what it has and says so."),
    Setting("STATE_DB", "", "Watcher state database (SQLite, WAL); empty for '.parallax/state.db' inside CORPUS_DIR."),
    Setting("WATCH_INTERVAL", 1800, "Default seconds between two fetches of a watched article or feed."),
    Setting("WATCH_MIN_INTERVAL", 60, "Shortest interval a watch may be given."),
    Setting("WATCH_MAX_BACKOFF", 86_400, "Longest wait after repeated errors (the wait doubles per error)."),
    Setting("WATCH_CONCURRENCY", 4, "Fetches the watcher runs at once (threads)."),
    Setting("WATCH_HOST_DELAY", 2.0, "Seconds between two requests of the watcher to one host (politeness)."),
    Setting("WATCH_FEED_LIMIT", 20, "Default number of a feed's items that become watched articles."),
    Setting("WATCH_LEASE_SECONDS", 300, "How long a watcher holds a claimed watch; a killed watcher's claims expire."),
    Setting("WATCH_POLL_SECONDS", 30.0, "Longest sleep of the continuous watcher between two looks for due watches."),
    Setting("PUBLIC_URL", "", "The app's address as readers open it (https://host/prefix), for the links in alerts "
            "and feeds the watcher sends; empty: http://HOST:PORT plus URL_PREFIX."),
    Setting("SEARCH_DB", "", "Search and shared-passage index (SQLite FTS5, WAL); empty for "
            "'<corpus>/.parallax/search.db'. Kept in step with the corpus on each request that reads it."),
    Setting("SEARCH_BUILD_ON_START", True, "Build or update the search index in the background when the server "
            "starts."),
    Setting("DATABASE_URL", "", "PostgreSQL store (postgresql://…) the app reads its corpus from, so app servers on "
            "many hosts serve one corpus (a change is served within a second) and writes sources added, edited, moved, "
            "removed or restored through the web to; while set, changes kept in a server's own state (watches, notes, "
            "alerts, outlets) are refused. Empty: the corpus folder. Also what parallax migrate, export, the watchers "
            "on PostgreSQL and the reuse job use."),
)


def load_settings(environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then ``PARALLAX_<NAME>`` environment values, then explicit overrides (tests)."""
    environ = os.environ if environ is None else environ
    values = {s.name: s.default for s in SETTINGS}
    for setting in SETTINGS:
        raw = environ.get(f"PARALLAX_{setting.name}")
        if raw is not None:
            values[setting.name] = setting.parse(raw)
    values.update(overrides or {})
    weakness = token_weakness(str(values.get("EDITOR_TOKEN") or ""))
    if weakness:
        raise SettingError(f"PARALLAX_EDITOR_TOKEN is too weak: {weakness}. Make one with: python3 -c "
                           "'import secrets; print(secrets.token_urlsafe(24))'")
    return values


def token_weakness(token: str) -> str | None:
    """Why an editor token could be guessed, or None for a strong one (or none set): shorter than
    MIN_TOKEN_LENGTH, few distinct characters, one short part repeated, mostly a run ("abcdef", "123456", "aaaa"),
    or under MIN_TOKEN_BITS of entropy estimated from how often each of its characters occurs."""
    if not token:
        return None
    if len(token) < MIN_TOKEN_LENGTH:
        return f"it has {len(token)} characters, fewer than {MIN_TOKEN_LENGTH}"
    if len(set(token)) < 6:
        return f"it uses only {len(set(token))} different characters"
    if any(token == (token[:k] * (len(token) // k + 1))[:len(token)] for k in range(1, len(token) // 2 + 1)):
        return "it repeats a shorter part"
    steps = [abs(ord(b) - ord(a)) <= 1 for a, b in itertools.pairwise(token)]
    if sum(steps) * 3 >= len(steps) * 2:
        return "it is mostly runs of neighbouring characters"
    counts = Counter(token)
    bits = -sum(n * math.log2(n / len(token)) for n in counts.values())
    if bits < MIN_TOKEN_BITS:
        return f"its characters carry about {bits:.0f} bits, fewer than {MIN_TOKEN_BITS}"
    return None


#: Room for a form's other fields beside its text, in bytes.
FORM_OVERHEAD = 65_536
#: A form-encoded byte of text can take three bytes on the wire (%XX).
URLENCODED_GROWTH = 3


def max_body_bytes(settings: Mapping[str, Any]) -> int:
    """The largest request body the app reads (its MAX_CONTENT_LENGTH, nginx's client_max_body_size): the upload
    limit, grown by form encoding, plus the other form fields."""
    return int(settings["MAX_UPLOAD_BYTES"]) * URLENCODED_GROWTH + FORM_OVERHEAD


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """Whether a bind address or host name only reaches this machine: the name ``localhost`` (any case, with or
    without the final dot), a loopback IPv4 or IPv6 address (bracketed or not, IPv4-mapped included). Any other
    name is not, whatever it resolves to now: a name can be made to resolve elsewhere later."""
    host = host.strip().lower()
    if host.startswith("[") or host.endswith("]"):
        if not (host.startswith("[") and host.endswith("]")):
            return False
        host = host[1:-1]
    if host.rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def trusted_hosts(values: Mapping[str, Any]) -> list[str] | None:
    """Host names to accept: the TRUSTED_HOSTS setting, else loopback names for a loopback-only app, else any."""
    chosen = [h.strip() for h in str(values.get("TRUSTED_HOSTS", "")).split(",") if h.strip()]
    if chosen:
        return chosen
    if is_loopback(str(values.get("HOST", ""))) and not int(values.get("PROXY_HOPS", 0)):
        return list(LOOPBACK_NAMES)  # Werkzeug cannot match a bracketed IPv6 Host; browsers use "localhost"
    return None


def markdown_table() -> str:
    """The settings as a markdown table, as the README shows them."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        default = "`corpus/` of the checkout" if setting.name == "CORPUS_DIR" else f"`{setting.default!r}`"
        rows.append(f"| `PARALLAX_{setting.name}` | {default} | {setting.help} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
