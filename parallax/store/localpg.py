"""A private PostgreSQL server from the OS's packages, for tests, CI and a laptop: no system service, no TCP port.

``start(folder)`` makes a cluster in ``folder/data`` (``initdb``, trust auth for its owner), starts it listening
only on a Unix socket in ``folder/socket`` and returns its URL (``postgresql://postgres@/parallax?host=...``). As
root it runs the server as the ``postgres`` user (``runuser``), which Debian's ``postgresql`` package creates; as any
other user it runs as that user. ``scripts/postgres.sh`` is the same from a shell::

    python -m parallax.store.localpg start /tmp/pg     # prints the URL
    python -m parallax.store.localpg stop /tmp/pg
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess  # nosec B404  (runs the OS's PostgreSQL programs, never a shell)
import sys
import time
from pathlib import Path

DATABASE = "parallax"
#: Where Debian puts each PostgreSQL major version's server programs (the newest found is used).
BIN_GLOB = "/usr/lib/postgresql/*/bin"
START_SECONDS = 60


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message says what is missing."""


def server_bin() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl`` (``PARALLAX_PG_BIN``, else Debian's newest, else the PATH)."""
    configured = os.environ.get("PARALLAX_PG_BIN", "")
    candidates = [configured] if configured else sorted(glob.glob(BIN_GLOB), key=_major, reverse=True)
    found = shutil.which("initdb")
    if found and not configured:
        candidates.append(str(Path(found).parent))
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise PostgresUnavailable("PostgreSQL's server programs (initdb, pg_ctl) are not installed: "
                              "apt-get install -y postgresql")


def _major(folder: str) -> int:
    """The major version in a Debian path such as /usr/lib/postgresql/15/bin."""
    part = Path(folder).parent.name
    return int(part) if part.isdigit() else 0


def _as_server_user(command: list[str]) -> list[str]:
    """The command run as the server's user: ``postgres`` when we are root (the server refuses root)."""
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root needs runuser (util-linux) to start PostgreSQL as 'postgres'")
    return ["runuser", "-u", "postgres", "--", *command]


def _own(path: Path) -> None:
    """Give a folder to the server's user when we are root."""
    if os.geteuid() == 0:
        try:
            shutil.chown(path, "postgres", "postgres")
        except LookupError:
            raise PostgresUnavailable("there is no 'postgres' user: apt-get install -y postgresql") from None


def url_for(folder: Path | str) -> str:
    """The URL of the server in this folder (a Unix socket, the ``postgres`` role, the ``parallax`` database)."""
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    return f"postgresql://{user}@/{DATABASE}?host={Path(folder).resolve() / 'socket'}"


def _run(command: list[str], what: str) -> None:
    """Run a server program, raising PostgresUnavailable with its output when it fails."""
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True, check=False,  # noqa: S603  # nosec B603
                          timeout=START_SECONDS)
    if done.returncode != 0:
        raise PostgresUnavailable(f"{what} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}")


def start(folder: Path | str) -> str:
    """Start (initialising when new) the private server in ``folder``; its URL. Already running: just the URL."""
    root = Path(folder).resolve()
    data, socket = root / "data", root / "socket"
    binaries = server_bin()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    socket.mkdir(exist_ok=True)
    _own(socket)
    if not (data / "PG_VERSION").exists():
        data.mkdir(exist_ok=True)
        data.chmod(0o700)
        _own(data)
        user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        _run([str(binaries / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "--encoding=UTF8",
              "--locale=C.UTF-8", "--no-sync"], "initdb")
    if not (data / "postmaster.pid").exists():
        options = (f"-k {socket} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                   f"-c full_page_writes=off -c max_connections=100 -c shared_buffers=64MB")
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "server.log"), "-w",
              "-t", str(START_SECONDS), "start"], "pg_ctl start")
    _create_database(binaries, socket)
    return url_for(root)


def _create_database(binaries: Path, socket: Path) -> None:
    """Create the ``parallax`` database once (waiting briefly for the server to take connections)."""
    psql = binaries / "psql"
    if not psql.exists():
        psql = Path(shutil.which("psql") or "psql")
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    deadline = time.monotonic() + START_SECONDS
    while True:
        done = subprocess.run(  # noqa: S603  # nosec B603
            [str(psql), "-h", str(socket), "-U", user, "-d", "postgres", "-tAc",
             f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],  # noqa: S608  # nosec B608
            capture_output=True, text=True, check=False, timeout=START_SECONDS)
        if done.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise PostgresUnavailable(f"the server does not take connections: {done.stderr.strip()[-500:]}")
        time.sleep(0.2)
    if done.stdout.strip() != "1":
        subprocess.run([str(psql), "-h", str(socket), "-U", user, "-d", "postgres", "-qc",  # noqa: S603  # nosec B603
                        f"CREATE DATABASE {DATABASE}"], capture_output=True, check=True, timeout=START_SECONDS)


def stop(folder: Path | str) -> None:
    """Stop the private server in ``folder`` (fast shutdown); nothing when it is not running."""
    data = Path(folder).resolve() / "data"
    if (data / "postmaster.pid").exists():
        _run([str(server_bin() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], "pg_ctl stop")


def main(argv: list[str] | None = None) -> int:
    """``start FOLDER`` (prints the URL) or ``stop FOLDER``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in ("start", "stop"):
        print("usage: python -m parallax.store.localpg start|stop FOLDER", file=sys.stderr)
        return 2
    try:
        if args[0] == "start":
            print(start(args[1]))
        else:
            stop(args[1])
    except PostgresUnavailable as error:
        print(f"postgres: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
