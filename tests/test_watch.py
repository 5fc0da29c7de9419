"""The watcher against a loopback server whose pages change: versions stored only for real changes, errors
recorded with back-off, conditional requests, feeds, leases, and a watcher killed mid-cycle."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parallax import cosmetic
from parallax.config import load_settings
from parallax.corpus_store import load_corpus
from parallax.sources import ingest, state, watch, watchlist
from tests.conftest import ROOT, STORY
from tests.fixtures.watchserver import State, serve_watched


@pytest.fixture()
def watch_server() -> Iterator[tuple[str, State]]:
    """The changing pages on loopback."""
    with serve_watched() as served:
        yield served


def settings_for(corpus_dir: Path, **extra: Any) -> dict[str, Any]:
    """Watcher settings on the test corpus: private fetches allowed (loopback server), no politeness wait."""
    return load_settings({}, {"CORPUS_DIR": str(corpus_dir), "FETCH_ALLOW_PRIVATE": True, "FETCH_TIMEOUT": 1.0,
                              "WATCH_HOST_DELAY": 0.0, "WATCH_MIN_INTERVAL": 1, "WATCH_CONCURRENCY": 2, **extra})


def make_watcher(corpus_dir: Path, urls: list[tuple[str, str]], **extra: Any) -> watch.Watcher:
    """A watcher with these (kind, url) watches in the test story."""
    watcher = watch.Watcher(settings_for(corpus_dir, **extra))
    for kind, url in urls:
        watchlist.new_watch(watcher.conn(), watcher.settings, STORY, kind, url, interval=60)
    return watcher


def make_due(watcher: watch.Watcher) -> None:
    """Make every watch due now (as if its interval had passed)."""
    watcher.conn().execute("UPDATE watches SET next_due = 0, last_checked = 0")


def versions_of(corpus_dir: Path, url: str) -> list[Any]:
    """The stored versions of the article watched at ``url``."""
    return load_corpus(corpus_dir).articles.get(url, [])


def one_watch(watcher: watch.Watcher) -> state.Watch:
    """The only top-level watch."""
    found = [w for w in state.list_watches(watcher.conn()) if w.parent_id is None]
    assert len(found) == 1
    return found[0]


# ---- cosmetic normalisation ---------------------------------------------------------------------------------------

BODY = "Bridge to close\nThe council voted to close the bridge for six weeks.\nFerries will run more often.\n"


@pytest.mark.parametrize("noise", [
    "Updated 3 minutes ago\n", "Last updated: 10:42 GMT\n", "Advertisement\n", "Published 12 Sep 2023 09:15\n",
    "Story continues below advertisement\n", "2 hours ago\n", "\n\n   \n", "1,204 comments\n", "Shares: 87\n"])
def test_cosmetic_lines_do_not_change_the_hash(noise: str) -> None:
    assert watch.cosmetic_hash(noise + BODY) == watch.cosmetic_hash(BODY)
    assert watch.cosmetic_hash(BODY + noise) == watch.cosmetic_hash(BODY)


def test_times_inside_lines_are_replaced_but_words_count() -> None:
    with_time = BODY + "The vote ended at 10:42 pm GMT, 5 minutes ago.\n"
    assert watch.cosmetic_hash(with_time) == watch.cosmetic_hash(with_time.replace("10:42 pm", "11:03 pm")
                                                                  .replace("5 minutes", "an hour"))
    counted = BODY + "Read the 12 comments below.\n"
    assert watch.cosmetic_hash(counted) == watch.cosmetic_hash(counted.replace("12 comments", "15 comments"))
    assert watch.cosmetic_hash(BODY) != watch.cosmetic_hash(BODY.replace("six weeks", "seven weeks"))
    assert watch.cosmetic_hash(BODY + "12 people died.\n") != watch.cosmetic_hash(BODY + "15 people died.\n")
    assert watch.cosmetic_hash(BODY) != watch.cosmetic_hash(BODY + "A new paragraph with real news.\n")


def test_counters_are_found_only_from_the_start_of_a_number() -> None:
    """A line of 40,000 digits and commas (21 s before, when the counter pattern was tried inside every run) is
    normalised at once; counts still become placeholders."""
    counter = cosmetic.COUNTER.search("x 1,204 comments")
    assert counter is not None and counter.start() == 2  # the whole number, not "204 comments"
    assert cosmetic.COUNTER.search("v1,204 comments") is None  # never from inside a run of digits and commas
    assert cosmetic.cosmetic_text("1," * 20_000 + " 1,204 comments") == "1," * 20_000 + " <count>"


def test_headline_line_is_left_to_the_headline_history() -> None:
    assert watch.cosmetic_hash(BODY, "Bridge to close") == watch.cosmetic_hash(
        BODY.replace("Bridge to close", "Bridge closes"), "Bridge closes")


def test_feeds_are_read_in_rss_and_atom_with_relative_links() -> None:
    from parallax.sources import feeds

    atom = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
            b'<entry><title>One</title><link href="/a/1"/><updated>2024-02-13T09:30:00Z</updated></entry>'
            b'<entry><title>Two</title><link href="https://other.example/2"/></entry>'
            b'<entry><title>Again</title><link href="/a/1"/></entry></feed>')
    items = feeds.parse_feed(atom, "https://news.example/feed.xml")
    assert [(i.url, i.title) for i in items] == [("https://news.example/a/1", "One"),
                                                 ("https://other.example/2", "Two")]
    assert items[0].published == "2024-02-13T09:30:00+00:00"
    with pytest.raises(feeds.FeedError):
        feeds.parse_feed(b"<html><body>not a feed</body></html>", "https://news.example/")


def test_a_feed_item_with_an_unreadable_link_is_skipped_not_the_feed() -> None:
    from parallax.sources import feeds

    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>H</title>'
           b'<item><title>Bad</title><link>http://[::1</link></item>'
           b'<item><title>Good</title><link>https://news.example/b</link></item></channel></rss>')
    assert [i.url for i in feeds.parse_feed(rss, "https://news.example/feed")] == ["https://news.example/b"]


# ---- the watcher on the fixture server ----------------------------------------------------------------------------

def test_changing_page_stores_a_version_per_change_with_capture_time_and_kept_page(
        corpus_dir: Path, watch_server: tuple[str, State]) -> None:
    base, served = watch_server
    url = f"{base}/changing/1"
    watcher = make_watcher(corpus_dir, [("article", url)])
    first = watcher.run_cycle()
    assert first.outcomes["stored"] == 1
    make_due(watcher)
    assert watcher.run_cycle().outcomes["stored"] == 1
    versions = versions_of(corpus_dir, url)
    assert len(versions) == 2 and versions[0].id != versions[1].id
    assert all(v.captured and v.version_of == url for v in versions)
    assert "Update number 2" in versions[1].body and "Update number 1" in versions[0].body
    kept = corpus_dir / STORY / ".originals" / f"{versions[1].id}.html.gz"
    assert b"Update number 2" in gzip.decompress(kept.read_bytes())
    assert load_corpus(corpus_dir).problems == ()  # the hidden folders are not read as sources
    assert all(agent.startswith("Parallax-Watcher/") for agent in served.agents)


def test_page_whose_only_change_is_a_time_stamp_stores_nothing(corpus_dir: Path,
                                                               watch_server: tuple[str, State]) -> None:
    base, served = watch_server
    url = f"{base}/stamp/1"
    watcher = make_watcher(corpus_dir, [("article", url)])
    watcher.run_cycle()
    for _ in range(2):
        make_due(watcher)
        assert watcher.run_cycle().outcomes["unchanged"] == 1
    assert served.hits["/stamp/1"] == 3
    assert len(versions_of(corpus_dir, url)) == 1


def test_headline_change_without_text_change_is_recorded(corpus_dir: Path, watch_server: tuple[str, State]) -> None:
    base, _served = watch_server
    url = f"{base}/headline/1"
    watcher = make_watcher(corpus_dir, [("article", url)])
    watcher.run_cycle()
    make_due(watcher)
    assert watcher.run_cycle().outcomes["headline"] == 1
    make_due(watcher)
    assert watcher.run_cycle().outcomes["unchanged"] == 1  # the same new headline is not noted twice
    assert len(versions_of(corpus_dir, url)) == 1
    assert [h["title"] for h in state.headlines(watcher.conn(), url)] == ["Headline 1 take 2"]


def test_304_stores_nothing_and_validators_are_sent(corpus_dir: Path, watch_server: tuple[str, State]) -> None:
    base, served = watch_server
    url = f"{base}/etag/1"
    watcher = make_watcher(corpus_dir, [("article", url)])
    watcher.run_cycle()
    assert one_watch(watcher).etag == '"v1-1"'
    make_due(watcher)
    report = watcher.run_cycle()
    assert report.outcomes == {"not-modified": 1}
    assert served.conditional == ["/etag/1"]
    assert len(versions_of(corpus_dir, url)) == 1
    log = state.fetch_log(watcher.conn(), one_watch(watcher).id)
    assert [entry["status"] for entry in log] == [304, 200]


def test_feed_gaining_items_adds_watched_articles_up_to_its_limit(corpus_dir: Path,
                                                                  watch_server: tuple[str, State]) -> None:
    base, served = watch_server
    served.extra_links = ["javascript:alert(1)", f"{base}/item/<odd>", "mailto:desk@example.com",
                          "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x"]
    watcher = make_watcher(corpus_dir, [])
    feed = watchlist.new_watch(watcher.conn(), watcher.settings, STORY, "feed", f"{base}/feed", interval=60,
                           item_limit=3)
    watcher.run_cycle()
    children = [w for w in state.list_watches(watcher.conn()) if w.parent_id == feed.id]
    assert sorted(w.url for w in children) == [f"{base}/item/0", f"{base}/item/1"]
    assert len(versions_of(corpus_dir, f"{base}/item/0")) == 1  # fetched in the same cycle
    served.feed_items = 5
    make_due(watcher)
    watcher.run_cycle()
    children = [w for w in state.list_watches(watcher.conn()) if w.parent_id == feed.id]
    assert len(children) == 3  # the limit
    assert len(versions_of(corpus_dir, f"{base}/item/2")) == 1
    assert not versions_of(corpus_dir, f"{base}/item/3")


@pytest.mark.parametrize(("path", "message"), [
    ("/error", "500"), ("/slow", "took longer"), ("/to-metadata", "metadata"), ("/nowhere", "404")])
def test_errors_are_recorded_with_exponential_back_off(corpus_dir: Path, watch_server: tuple[str, State], path: str,
                                                        message: str) -> None:
    base, _served = watch_server
    watcher = make_watcher(corpus_dir, [("article", f"{base}{path}")])
    started = time.time()
    watcher.run_cycle()
    first = one_watch(watcher)
    assert first.failures == 1 and message in first.last_error
    assert first.next_due - started == pytest.approx(120, abs=10)  # interval 60 × 2
    make_due(watcher)
    watcher.run_cycle()
    second = one_watch(watcher)
    assert second.failures == 2 and second.next_due - time.time() == pytest.approx(240, abs=10)
    assert not versions_of(corpus_dir, f"{base}{path}")
    assert not (corpus_dir / STORY / ".originals").exists()


def test_back_off_is_capped_and_a_success_resets_it(corpus_dir: Path) -> None:
    conn = state.connect(state.db_path(corpus_dir))
    item = state.add_watch(conn, STORY, "article", "http://example.com/x", 3600, now=0)
    for failures in range(10):
        state.claim_due(conn, "me", 60, 10, now=0)
        due = state.finish(conn, item, "me", status=500, outcome="error", error=True, max_backoff=86_400, now=0)
        item = state.get_watch(conn, item.id) or item
        assert item.failures == failures + 1
        conn.execute("UPDATE watches SET next_due = 0")
    assert due == 86_400
    state.claim_due(conn, "me", 60, 10, now=0)
    state.finish(conn, item, "me", status=200, outcome="unchanged", now=0)
    assert (state.get_watch(conn, item.id) or item).failures == 0


def test_politeness_gate_spaces_requests_to_one_host() -> None:
    gate = watch.HostGate(0.05)
    started = time.monotonic()
    for _ in range(4):
        gate.wait("http://a.example/x")
    gate.wait("http://b.example/x")  # another host does not wait for the first
    assert time.monotonic() - started == pytest.approx(0.15, abs=0.05)


def test_two_watchers_never_claim_the_same_watch(corpus_dir: Path) -> None:
    path = state.db_path(corpus_dir)
    first, second = state.connect(path), state.connect(path)
    for n in range(10):
        state.add_watch(first, STORY, "article", f"http://example.com/{n}", 60, now=0)
    mine = state.claim_due(first, "a", 60, 6, now=1)
    theirs = state.claim_due(second, "b", 60, 6, now=1)
    assert len(mine) == 6 and len(theirs) == 4 and not {w.id for w in mine} & {w.id for w in theirs}
    assert state.claim_due(second, "b", 60, 6, now=2) == []
    again = state.claim_due(second, "b", 60, 10, now=62)  # a's lease expired (a was killed)
    assert {w.id for w in again} >= {w.id for w in mine}


def test_two_watchers_at_once_store_each_version_once(corpus_dir: Path, watch_server: tuple[str, State]) -> None:
    base, _served = watch_server
    urls = [("article", f"{base}/static/{n}") for n in range(8)]
    first = make_watcher(corpus_dir, urls)
    second = watch.Watcher(settings_for(corpus_dir))
    import threading

    threads = [threading.Thread(target=w.run_cycle) for w in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _kind, url in urls:
        assert len(versions_of(corpus_dir, url)) == 1


def test_paused_watch_is_not_fetched(corpus_dir: Path, watch_server: tuple[str, State]) -> None:
    base, served = watch_server
    watcher = make_watcher(corpus_dir, [("article", f"{base}/static/1")])
    state.set_paused(watcher.conn(), one_watch(watcher).id, True)
    assert watcher.run_cycle().requests == 0 and served.hits["/static/1"] == 0
    state.set_paused(watcher.conn(), one_watch(watcher).id, False)
    assert watcher.run_cycle().outcomes["stored"] == 1


@pytest.mark.parametrize(("args", "message"), [
    ((STORY, "article", "ftp://example.com/x", 60), "only http and https"),
    (("Not A Slug", "article", "http://example.com/x", 60), "slug"),
    ((STORY, "page", "http://example.com/x", 60), "kind"),
    ((STORY, "article", "http://example.com/x", 5), "interval"),
    ((STORY, "article", "http://user:pw@example.com/x", 60), "password"),
    ((STORY, "article", "http://example.com/<script>", 60), "percent-encoded"),
    ((STORY, "article", "http://example.com/a b", 60), "percent-encoded"),
    ((STORY, "article", "http://169.254.169.254/latest/", 60), "cloud metadata address"),
    ((STORY, "article", "http://2852039166/latest/", 60), "cloud metadata address"),  # one decimal number
    ((STORY, "article", "http://0251.0376.0251.0376/", 60), "cloud metadata address"),  # octal parts
    ((STORY, "article", "http://0xa9fea9fe/", 60), "cloud metadata address"),  # one hexadecimal number
    ((STORY, "feed", "http://169.254.43518/", 60), "cloud metadata address"),  # three parts
    ((STORY, "article", "http://0x7f.1:8080/x", 60), "PARALLAX_FETCH_ALLOW_PRIVATE"),  # 127.0.0.1
    ((STORY, "feed", "http://[fe80::1]/feed", 60), "link-local"),
    ((STORY, "article", "http://metadata.google.internal/x", 60), "metadata host"),
    ((STORY, "article", "http://127.0.0.1:8080/x", 60), "PARALLAX_FETCH_ALLOW_PRIVATE")])
def test_bad_watches_are_refused_with_a_reason(corpus_dir: Path, args: tuple[Any, ...], message: str) -> None:
    settings = load_settings({}, {"CORPUS_DIR": str(corpus_dir)})
    with state.opened(state.db_path(corpus_dir)) as conn, pytest.raises(state.StateError, match=message):
        watchlist.new_watch(conn, settings, *args)


def test_killed_watcher_loses_nothing_and_duplicates_nothing(corpus_dir: Path, watch_server: tuple[str, State]) -> None:
    """kill -9 of a watcher mid-cycle: after its leases expire, a second run stores each article exactly once."""
    base, _served = watch_server
    urls = [f"{base}/sleepy/{n}" for n in range(12)]
    watcher = make_watcher(corpus_dir, [("article", u) for u in urls])
    watcher.conn().close()
    env = {**os.environ, "PARALLAX_CORPUS_DIR": str(corpus_dir), "PARALLAX_FETCH_ALLOW_PRIVATE": "1",
           "PARALLAX_WATCH_HOST_DELAY": "0", "PARALLAX_WATCH_CONCURRENCY": "2", "PARALLAX_WATCH_LEASE_SECONDS": "2",
           "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "parallax.sources.watch", "--once"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list((corpus_dir / STORY).glob("story-*.txt"))) < 3:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    stored_before = len(list((corpus_dir / STORY).glob("story-*.txt")))
    assert 3 <= stored_before < len(urls), "the watcher was not killed mid-cycle"
    time.sleep(2.1)  # the killed watcher's leases expire
    again = subprocess.run([sys.executable, "-m", "parallax.sources.watch", "--once"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 0, again.stderr
    current = load_corpus(corpus_dir)
    assert current.problems == ()
    for url in urls:
        assert len(current.articles.get(url, [])) == 1, url
    bodies = [s.body for s in current.story_sources(STORY)]
    assert len(bodies) == len(set(bodies))
    for source in current.story_sources(STORY):  # every version keeps its page, nothing half-written is left
        assert source.path.startswith(f"{STORY}/story-") <= (watch.read_original(corpus_dir, source) is not None)
    assert [p.name for p in (corpus_dir / STORY / ".originals").iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("dies", ["before", "after"])
def test_watcher_killed_while_saving_leaves_no_version_without_its_page(
        corpus_dir: Path, watch_server: tuple[str, State], monkeypatch: pytest.MonkeyPatch, dies: str) -> None:
    """The process dies just before or just after a version's file is written; the next start tidies up: the
    version has its page, or there is no version and no page, and no temporary file is left."""
    base, _served = watch_server
    url = f"{base}/static/3"
    watcher = make_watcher(corpus_dir, [("article", url)])
    real_save = ingest.save_source

    def save_and_die(*args: Any, **kwargs: Any) -> Any:
        if dies == "after":
            real_save(*args, **kwargs)
        raise SystemExit("killed")

    monkeypatch.setattr(ingest, "save_source", save_and_die)
    monkeypatch.setattr(os, "unlink", lambda *a, **k: None)  # a killed process cleans nothing up
    with pytest.raises(SystemExit):
        watcher.run_cycle()
    monkeypatch.undo()
    kept = corpus_dir / STORY / ".originals"
    kept.mkdir(exist_ok=True)
    (kept / ".story-3.html.gz.0123abcd.tmp").write_bytes(b"half a page")  # killed inside a write
    monkeypatch.setenv("PARALLAX_WATCH_LEASE_SECONDS", "300")
    assert watch.main(["--once", "--corpus", str(corpus_dir)]) == 0  # the next start (the watch is still leased)
    versions = versions_of(corpus_dir, url)
    assert len(versions) == (1 if dies == "after" else 0)
    if versions:
        page = watch.read_original(corpus_dir, versions[0])
        assert page is not None and versions[0].body.split("\n")[0][:40].encode() in page
    assert [p.name for p in kept.iterdir() if not p.name.endswith(".html.gz") or p.name.startswith(".")] == []
    assert len(list(kept.iterdir())) == len(versions)


def test_continuous_watcher_keeps_running_and_stops_on_sigterm(corpus_dir: Path,
                                                               watch_server: tuple[str, State]) -> None:
    base, _served = watch_server
    watcher = make_watcher(corpus_dir, [("article", f"{base}/static/7")])
    watcher.conn().close()
    env = {**os.environ, "PARALLAX_CORPUS_DIR": str(corpus_dir), "PARALLAX_FETCH_ALLOW_PRIVATE": "1",
           "PARALLAX_WATCH_HOST_DELAY": "0", "PARALLAX_WATCH_POLL_SECONDS": "60", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "parallax.sources.watch"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not versions_of(corpus_dir, f"{base}/static/7"):
            time.sleep(0.1)
        time.sleep(0.5)
        assert process.poll() is None, "the continuous watcher exited after one cycle"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr is not None and "cycle:" in process.stderr.read()
    assert len(versions_of(corpus_dir, f"{base}/static/7")) == 1


def test_watcher_with_a_corrupt_state_database_says_so_in_one_line(corpus_dir: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    (corpus_dir / ".parallax").mkdir()
    (corpus_dir / ".parallax" / "state.db").write_bytes(b"this is not a database" * 100)
    with caplog.at_level("ERROR", logger="parallax.sources.watch"):
        assert watch.main(["--once", "--corpus", str(corpus_dir)]) == 1
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "state database" in errors[0].getMessage() and "not a database" in errors[0].getMessage()


def test_watcher_on_a_missing_corpus_folder_creates_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    missing = tmp_path / "typo"
    with caplog.at_level("ERROR", logger="parallax.sources.watch"):
        assert watch.main(["--once", "--corpus", str(missing)]) == 2
    assert not missing.exists() and "no corpus folder" in caplog.text


def test_watcher_with_a_bad_setting_says_which_in_one_line(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PARALLAX_WATCH_INTERVAL", "soon")
    with caplog.at_level("ERROR", logger="parallax.sources.watch"):
        assert watch.main(["--once", "--corpus", str(corpus_dir)]) == 2
    assert "PARALLAX_WATCH_INTERVAL must be a number, not 'soon'" in caplog.text
    assert not (corpus_dir / ".parallax").exists()
