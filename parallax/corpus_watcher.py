"""The file-system watcher and safety-net rescan of a server's corpus, in a process of its own (``python -m
parallax.corpus_watcher ROOT PARENT [FIRST EVERY]``), started by the server's leading process
(``parallax.corpus_follow``).

It waits for inotify to report files added, edited or removed under the corpus folder (watchfiles), and every
EVERY seconds (the first time FIRST seconds after it starts; less often when a pass would take more than
``RESCAN_SHARE`` of a core) it stats every file and compares it with the catalogue, which the serving processes
keep of what they read, for changes the watcher missed or made while no server ran. It publishes the folders of
what it finds to the corpus's change log (``parallax.changes.mark_changed``): every process serving the corpus
reads just those folders at its next look. In a process of its own because both hold the interpreter for seconds
at scale (setting up the watches of 125,000 folders: about 3 s; a rescan of a million files: about 25 s of CPU),
which would stall the pages of a worker. It names itself in ``WATCHING`` while its watches are in place, and ends
when the process that started it does.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from parallax.changes import STATE_FOLDER, mark_changed

log = logging.getLogger("parallax.catalogue")

#: The process id of the server's watcher while its watches are in place: a look for an unknown id then waits for
#: the watcher to report a new file instead of looking for it in every story folder.
WATCHING = Path(STATE_FOLDER) / "watching"
#: The most of one core the safety-net rescan may take, averaged over the time between passes: a pass that stats a
#: million files (about 25 s of CPU) runs every 40 minutes, not every 10.
RESCAN_SHARE = 0.01


def rescan_interval(every: float, spent: float) -> float:
    """Seconds from one safety-net pass to the next: ``every``, or longer when a pass cost ``spent`` seconds of CPU
    that would exceed ``RESCAN_SHARE`` of a core."""
    return max(every, spent / RESCAN_SHARE)


def folders_of(root: Path, names: Iterable[str]) -> set[str]:
    """The folders (relative to the corpus, '' for the corpus folder) whose files these reported names concern;
    a reported folder counts itself too (it may have been created or moved in whole). Hidden ones are left out."""
    prefix = os.path.join(root, "")
    folders: set[str] = set()
    for name in names:
        if not name.startswith(prefix):
            continue
        rel = name[len(prefix):]
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        folders.add(rel.rpartition("/")[0])
        if os.path.isdir(name):
            folders.add(rel)
    return folders


def watching_pid(root: Path) -> int | None:
    """The process id ``WATCHING`` names, when that process is alive."""
    try:
        pid = int((root / WATCHING).read_text(encoding="ascii").strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _note(root: Path, present: bool) -> None:
    """Name this process in ``WATCHING`` (or take its name away)."""
    path = root / WATCHING
    try:
        if present:
            temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
            temp.write_text(str(os.getpid()), encoding="ascii")
            os.replace(temp, path)
        elif path.read_text(encoding="ascii").strip() == str(os.getpid()):
            path.unlink()
    except OSError:
        pass  # without the note the others look for unknown ids in every folder, as without a watcher


def rescan_pass(root: Path) -> set[str]:
    """The folders holding files that differ from what the catalogue says the server read (added, changed, gone),
    by a stat of every file."""
    from parallax.corpus_store import walk_files
    from parallax.index.catalogue import CATALOGUE_FILE

    try:
        db = sqlite3.connect(f"file:{root / CATALOGUE_FILE}?mode=ro", uri=True, timeout=30)
        try:
            known = {f"{root}/{rel}": (mtime, size, ino) for rel, mtime, size, ino in
                     db.execute("SELECT rel, mtime_ns, size, ino FROM files")}
        finally:
            db.close()
    except sqlite3.Error as error:  # no catalogue yet (the server is still making it): nothing to compare with
        log.info("corpus catalogue not readable for the rescan (%s)", error)
        return set()
    changed = []
    for name in walk_files(root):
        try:
            st = os.stat(name)
        except OSError:
            changed.append(name)  # a broken link, a loop, or gone: the serving processes decide
            continue
        if known.pop(name, None) != (st.st_mtime_ns, st.st_size, st.st_ino):
            changed.append(name)
    changed.extend(known)  # files the catalogue has that are gone
    return folders_of(root, changed)


def _rescans(root: Path, first: float, every: float, stop: threading.Event) -> None:
    """Run the safety-net passes until stopped, publishing what each finds."""
    wait = first
    while not stop.wait(wait):
        cpu = time.thread_time()
        try:
            touched = rescan_pass(root)
            if touched:
                mark_changed(root, touched)
        except Exception:  # the safety net must not die with one bad pass
            log.exception("corpus rescan failed")
        wait = rescan_interval(every, time.thread_time() - cpu)


def run(root: Path, parent: int, first: float = 10.0, every: float = 600.0) -> int:
    """Watch, and rescan in the background, until the parent process ends. When the watcher cannot run (inotify's
    limits), the rescans go on alone, every ``every`` seconds."""
    stop = threading.Event()
    threading.Thread(target=_rescans, args=(root, first, every, stop), name="parallax-corpus-rescan",
                     daemon=True).start()
    try:
        _watch(root, parent)
        while os.getppid() == parent:  # the watcher stopped: the rescans carry on while the server runs
            time.sleep(1.0)
    finally:
        stop.set()
    return 0


def _watch(root: Path, parent: int) -> None:
    """Publish what inotify reports until the parent process ends or the watcher fails."""
    try:
        import watchfiles
    except ImportError:
        log.warning("watchfiles is not installed: corpus changes are noticed by the full rescan only")
        return
    noted = False
    try:
        for changes in watchfiles.watch(root, watch_filter=None, debounce=400, step=20, rust_timeout=1000,
                                        yield_on_timeout=True, raise_interrupt=False, ignore_permission_denied=True):
            if os.getppid() != parent:
                return
            if not noted:  # the first report (or a second without one): the watches are in place
                _note(root, True)
                noted = True
            touched = folders_of(root, (name for _, name in changes))
            if touched:
                mark_changed(root, touched)
    except Exception as error:  # noqa: BLE001 - inotify limits, a vanished folder: the rescans carry on
        log.warning("corpus watcher stopped (%s: %s): changes are noticed by the full rescan only",
                    type(error).__name__, error)
    finally:
        _note(root, False)


def main(argv: list[str]) -> int:
    """``ROOT PARENT [FIRST EVERY]``: watch and rescan the corpus folder ROOT while process PARENT lives."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    timing = [float(value) for value in argv[2:4]]
    return run(Path(argv[0]).resolve(), int(argv[1]), *timing)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
