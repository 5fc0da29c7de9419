"""Alerts: when the watcher stores a new version or notes a new headline, tell the story's subscribers what changed.

Each change is recorded once (``changes``: the story's Atom feed reads them too) with what a reader needs — the
summary line, the fact differences, the first changed passages, links to the comparison and the timeline. Each
channel of the story (or of that one watch) that wants it gets a delivery: a channel is an apprise URL (e-mail,
Slack, Matrix, Mattermost, Teams, ntfy, a JSON webhook, …), kept in the state database and never shown back — pages
and JSON show only its scheme and host. A channel's threshold says which changes it wants (``facts``: only when a
fact differs or the headline changes; ``headline``: only headline changes; ``every``: every change); a muted
channel gets nothing; a digest channel gets one message per hour or day with every change of that window.

The statements are the part of SQLite's and PostgreSQL's dialects that agrees, so the same functions keep channels
in a server's state database and in the PostgreSQL store's state tables (``parallax.store.state_sql``).

Deliveries are sent after each watcher cycle, within a time budget, never during a fetch: a failing channel is
retried with exponential back-off (``BACKOFF_FIRST`` doubling up to ``BACKOFF_MAX``), its last error shown on the
story's alerts page and on its watches, and given up after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import apprise

from parallax.errors import ParallaxError
from parallax.sources import state

log = logging.getLogger("parallax.sources.alerts")

THRESHOLDS = ("facts", "headline", "every")
DIGESTS = ("", "hour", "day")
MAX_ATTEMPTS = 6
BACKOFF_FIRST = 30.0  # seconds before the first retry, doubled after each failure
BACKOFF_MAX = 3600.0
SEND_BUDGET = 20.0  # seconds of sending per watcher cycle; what is left waits for the next cycle
MAX_PASSAGES = 3
MAX_URL = 2000

Sender = Callable[[str, str, str], None]


class AlertError(ParallaxError, ValueError):
    """A channel that cannot be used, or a message a service did not accept; the message says why."""


def channel_label(url: str) -> str:
    """What pages show of a channel: its scheme and host, never a user name, password, token or path."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}" if host else f"{parts.scheme}://"


def check_channel_url(url: Any) -> str:
    """A channel URL apprise can send to; AlertError otherwise (the error never repeats the URL)."""
    if not isinstance(url, str) or not url.strip():
        raise AlertError("a channel needs an apprise URL such as json://host/path, mailto://user:pass@host")
    text = str(url).strip()
    if len(text) > MAX_URL or any(c.isspace() or not c.isprintable() for c in text):
        raise AlertError("the channel URL is too long or contains spaces or control characters")
    if not apprise.Apprise().add(text):
        raise AlertError(f"apprise does not know how to send to a {channel_label(text)} URL")
    return text


def _choice(value: Any, allowed: tuple[str, ...], name: str) -> str:
    """A value from its allowed set, or AlertError."""
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise AlertError(f"{name} must be one of {shown}, not {value!r}")
    return str(value)


def _channel(row: Any) -> dict[str, Any]:
    """A channel as pages and JSON show it (no URL)."""
    return {"id": row["id"], "story": row["story"], "watch_id": row["watch_id"], "label": row["label"],
            "threshold": row["threshold"], "muted": bool(row["muted"]), "digest": row["digest"] or None,
            "created": row["created"], "failures": row["failures"], "last_error": row["last_error"] or None,
            "last_sent": row["last_sent"]}


def add_channel(conn: state.Connection, story: str, url: Any, threshold: Any = "facts", digest: Any = "",
                watch_id: int | None = None) -> dict[str, Any]:
    """Subscribe a channel to a story's changes (or one watch's); AlertError when a value cannot be used."""
    checked = check_channel_url(url)
    chosen = _choice(threshold, THRESHOLDS, "threshold")
    window = _choice("" if digest is None else digest, DIGESTS, "digest")
    if watch_id is not None:
        found = state.get_watch(conn, watch_id)
        if found is None or found.story != story:
            raise AlertError(f"watch {watch_id} is not a watch of story '{story}'")
    cursor = conn.execute("INSERT INTO channels (story, watch_id, url, label, threshold, digest, created) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)", (story, watch_id, checked, channel_label(checked), chosen,
                                                           window, state.iso(time.time())))
    return get_channel(conn, int(cursor.lastrowid or 0)) or {}


def get_channel(conn: state.Connection, channel_id: int) -> dict[str, Any] | None:
    """A channel (without its URL), or None."""
    row = conn.execute("SELECT * FROM channels WHERE id = ?", (channel_id,)).fetchone()
    return _channel(row) if row else None


def channels(conn: state.Connection, story: str | None = None, watch_id: int | None = None) -> list[dict[str, Any]]:
    """Channels of a story (those of the whole story and of ``watch_id`` when given), without their URLs."""
    rows = conn.execute("SELECT * FROM channels WHERE (CAST(? AS TEXT) IS NULL OR story = ?) AND "
                        "(CAST(? AS INTEGER) IS NULL OR watch_id IS NULL OR watch_id = ?) ORDER BY id",
                        (story, story, watch_id, watch_id))
    return [_channel(r) for r in rows]


def update_channel(conn: state.Connection, channel_id: int, changes: Mapping[str, Any]) -> dict[str, Any] | None:
    """Mute or unmute a channel, or change its threshold or digest; None when it does not exist."""
    if get_channel(conn, channel_id) is None:
        return None
    unknown = sorted(set(changes) - {"muted", "threshold", "digest"})
    if unknown:
        raise AlertError(f"unknown field {unknown[0]!r}; a channel's muted, threshold and digest can change")
    if "muted" in changes:
        if not isinstance(changes["muted"], bool):
            raise AlertError("muted must be true or false")
        conn.execute("UPDATE channels SET muted = ? WHERE id = ?", (int(changes["muted"]), channel_id))
    if "threshold" in changes:
        conn.execute("UPDATE channels SET threshold = ? WHERE id = ?",
                     (_choice(changes["threshold"], THRESHOLDS, "threshold"), channel_id))
    if "digest" in changes:
        conn.execute("UPDATE channels SET digest = ? WHERE id = ?",
                     (_choice("" if changes["digest"] is None else changes["digest"], DIGESTS, "digest"), channel_id))
    return get_channel(conn, channel_id)


def remove_channel(conn: state.Connection, channel_id: int) -> bool:
    """Unsubscribe a channel and drop its pending deliveries; False when there is none."""
    with state.transaction(conn):
        gone = conn.execute("DELETE FROM channels WHERE id = ?", (channel_id,)).rowcount
        conn.execute("DELETE FROM deliveries WHERE channel_id = ?", (channel_id,))
    return bool(gone)


# ---- recording changes ---------------------------------------------------------------------------------------------

def wants(threshold: str, kind: str, body: Mapping[str, Any]) -> bool:
    """Whether a channel with this threshold is told of this change."""
    if threshold == "every":
        return True
    headline = kind == "headline" or bool(body.get("title_changed"))
    return headline if threshold == "headline" else headline or bool(body.get("facts"))


def window_end(digest: str, now: float) -> float:
    """When a digest window that is open at ``now`` closes (the next full hour or the next midnight, UTC)."""
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    if digest == "hour":
        start = moment.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    else:
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    return start.timestamp()


def record_change(conn: state.Connection, story: str, watch_id: int | None, kind: str, source_id: str,
                  previous_id: str, body: Mapping[str, Any], now: float | None = None) -> int:
    """Keep a change and queue a delivery to each channel that wants it; the change's id."""
    now = time.time() if now is None else now
    with state.transaction(conn):
        cursor = conn.execute(
            "INSERT INTO changes (story, watch_id, at, kind, source_id, previous_id, title, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (story, watch_id, state.iso(now), kind, source_id, previous_id,
                                                str(body.get("title") or ""), json.dumps(dict(body))))
        change_id = int(cursor.lastrowid or 0)
        for row in conn.execute("SELECT * FROM channels WHERE story = ? AND muted = 0 AND "
                                "(watch_id IS NULL OR watch_id = ?)", (story, watch_id)).fetchall():
            if wants(row["threshold"], kind, body):
                due = window_end(row["digest"], now) if row["digest"] else now
                conn.execute("INSERT INTO deliveries (channel_id, change_id, state, next_try) "
                             "VALUES (?, ?, 'pending', ?) ON CONFLICT DO NOTHING", (row["id"], change_id, due))
    return change_id


def _change(row: Any) -> dict[str, Any]:
    """A recorded change as plain data."""
    return {"id": row["id"], "story": row["story"], "watch_id": row["watch_id"], "at": row["at"],
            "kind": row["kind"], "source_id": row["source_id"], "previous_id": row["previous_id"] or None,
            **json.loads(row["body"])}


def story_changes(conn: state.Connection, story: str, limit: int = 50) -> list[dict[str, Any]]:
    """A story's latest recorded changes, newest first."""
    rows = conn.execute("SELECT * FROM changes WHERE story = ? ORDER BY id DESC LIMIT ?", (story, limit))
    return [_change(r) for r in rows]


# ---- messages and sending ------------------------------------------------------------------------------------------

def message(changes: list[Mapping[str, Any]]) -> tuple[str, str]:
    """The title and plain-text body of a message about these changes (one, or a digest of several)."""
    blocks = []
    for change in changes:
        lines = [change.get("summary") or "", ""]
        if change.get("facts"):
            lines += ["Fact differences:", *(f"- {fact}" for fact in change["facts"]), ""]
        for passage in change.get("passages") or []:
            lines.append(f"[{passage['kind']}]")
            if passage.get("before"):
                lines.append(f"  before: {passage['before']}")
            if passage.get("after"):
                lines.append(f"  after: {passage['after']}")
        lines += ["", f"Comparison: {change.get('compare') or '-'}", f"Timeline: {change.get('timeline') or '-'}"]
        blocks.append("\n".join(line for line in lines if line is not None).strip())
    first = changes[0]
    title = (f"{first.get('outlet') or 'A watched article'} changed: {first.get('title') or first.get('source_id')}"
             if len(changes) == 1 else f"{len(changes)} changes in {first.get('story')}")
    return title[:250], "\n\n----\n\n".join(blocks)


def _scrub(text: str, url: str) -> str:
    """An error text with the channel's URL and its credentials taken out."""
    parts = urlsplit(url)
    text = text.replace(url, channel_label(url))
    for secret in (parts.password, parts.username, parts.query, parts.path.strip("/")):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return " ".join(text.split())[:500]


def send(url: str, title: str, body: str) -> None:
    """Send one message through apprise; AlertError (secrets taken out) when the service did not accept it."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise AlertError("apprise no longer accepts this channel URL")
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        ok = notifier.notify(title=title, body=body)
        logged = str(captured.getvalue())
    if not ok:
        raise AlertError(_scrub(logged.strip().splitlines()[-1] if logged.strip() else "the service did not "
                                "accept the message", url))


def deliver_due(conn: state.Connection, now: float | None = None, sender: Sender = send,
                budget: float = SEND_BUDGET) -> dict[str, int]:
    """Send every due delivery, one message per channel (a digest channel's whole window at once), within the
    time budget; failures are retried with back-off. Counts of 'sent', 'failed' (will retry) and 'given_up'."""
    now = time.time() if now is None else now
    started = time.monotonic()
    counts = {"sent": 0, "failed": 0, "given_up": 0}
    due = conn.execute("SELECT DISTINCT channel_id FROM deliveries WHERE state = 'pending' AND next_try <= ? "
                       "ORDER BY channel_id", (now,)).fetchall()
    for (channel_id,) in due:
        if time.monotonic() - started > budget:
            break
        channel = conn.execute("SELECT * FROM channels WHERE id = ?", (channel_id,)).fetchone()
        rows = conn.execute("SELECT d.id, d.attempts, c.* FROM deliveries d JOIN changes c ON c.id = d.change_id "
                            "WHERE d.channel_id = ? AND d.state = 'pending' AND d.next_try <= ? ORDER BY c.id",
                            (channel_id, now)).fetchall()
        if channel is None or not rows:
            continue
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        try:
            title, body = message([{**_change(r), "id": r["id"]} for r in rows])
            sender(channel["url"], title, body)
        except Exception as error:  # noqa: BLE001 - any failure of a channel is recorded; the watcher goes on
            attempts = max(r["attempts"] for r in rows) + 1
            detail = _scrub(str(error) or type(error).__name__, channel["url"])
            given_up = attempts >= MAX_ATTEMPTS
            with state.transaction(conn):
                conn.execute(f"UPDATE deliveries SET attempts = ?, last_error = ?, next_try = ?, state = ? "  # noqa: S608  # nosec B608
                             f"WHERE id IN ({marks})", (attempts, detail, now + min(BACKOFF_MAX, BACKOFF_FIRST * 2 **
                                                                                   (attempts - 1)),
                                                      "failed" if given_up else "pending", *ids))
                conn.execute("UPDATE channels SET failures = failures + 1, last_error = ? WHERE id = ?",
                             (detail, channel_id))
            counts["given_up" if given_up else "failed"] += 1
            log.warning("alert channel %s (%s): %s", channel_id, channel["label"], detail)
            continue
        with state.transaction(conn):
            conn.execute(f"UPDATE deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, "  # noqa: S608  # nosec B608
                         f"last_error = '' WHERE id IN ({marks})", (state.iso(now), *ids))
            conn.execute("UPDATE channels SET failures = 0, last_error = '', last_sent = ? WHERE id = ?",
                         (state.iso(now), channel_id))
        counts["sent"] += 1
    return counts


def pending(conn: state.Connection, story: str) -> list[dict[str, Any]]:
    """Deliveries of a story's channels not sent yet (waiting for a digest window or a retry)."""
    rows = conn.execute("SELECT d.channel_id, d.change_id, d.state, d.attempts, d.next_try, d.last_error "
                        "FROM deliveries d JOIN channels ch ON ch.id = d.channel_id "
                        "WHERE ch.story = ? AND d.state != 'sent' ORDER BY d.id DESC LIMIT 100", (story,))
    return [{"channel_id": r[0], "change_id": r[1], "state": r[2], "attempts": r[3], "next_try": state.iso(r[4]),
             "last_error": r[5] or None} for r in rows]
