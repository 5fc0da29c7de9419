"""The PostgreSQL schema: the corpus's files and sources, sentences with their search vectors and embeddings, the
shared-passage sketches and lineage, and the watcher's state tables mirrored from the embedded schema.

The state tables (watches, fetch log, notes, rules, alerts, …) are not written twice: their PostgreSQL form is
derived from the embedded SQLite migrations (``parallax.sources.state.MIGRATIONS``) column by column, so a migration
there is a migration here and a file corpus moves across with every column. Postgres-only additions (the watch's
host, the shared per-host politeness schedule) come after, in ``EXTRA``; tables added since (editors' sign-ins, the
add form's drafts) in ``LATER``, which also brings a database made before them up to date.
"""

from __future__ import annotations

import sqlite3
from functools import cache

from parallax.sources import state

#: Bumped when the PostgreSQL schema changes; a database of another version is refused with a message.
SCHEMA_VERSION = "1"

#: The sentences' full-text index (a migration drops it while it loads and builds it once at the end).
SENTENCES_TSV = "CREATE INDEX IF NOT EXISTS sentences_tsv ON sentences USING GIN (tsv)"

CORPUS = f"""
CREATE TABLE IF NOT EXISTS px_meta(k text PRIMARY KEY, v text NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    path text PRIMARY KEY,
    raw bytea NOT NULL,
    mtime_ns bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sources(
    id text PRIMARY KEY,
    path text NOT NULL UNIQUE REFERENCES files(path) ON DELETE CASCADE,
    story text NOT NULL,
    outlet text NOT NULL,
    title text NOT NULL,
    published text NOT NULL,
    captured text NOT NULL,
    url text NOT NULL,
    language text NOT NULL,
    article text NOT NULL,
    sha256 text NOT NULL,
    content_key text NOT NULL,
    body text NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_story ON sources(story);
CREATE INDEX IF NOT EXISTS sources_article ON sources(article);
CREATE TABLE IF NOT EXISTS sentences(
    source_id text NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    pos integer NOT NULL,
    text text NOT NULL,
    boilerplate boolean NOT NULL DEFAULT false,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
    PRIMARY KEY (source_id, pos)
);
{SENTENCES_TSV};
CREATE TABLE IF NOT EXISTS vectors(
    model text NOT NULL,
    text_key text NOT NULL,
    vec real[] NOT NULL,
    PRIMARY KEY (model, text_key)
);
CREATE TABLE IF NOT EXISTS sketches(
    h bigint NOT NULL,
    source_id text NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    pos integer NOT NULL,
    PRIMARY KEY (h, source_id, pos)
);
CREATE INDEX IF NOT EXISTS sketches_source ON sketches(source_id);
CREATE TABLE IF NOT EXISTS shared(
    a text NOT NULL,
    a_pos integer NOT NULL,
    b text NOT NULL,
    b_pos integer NOT NULL,
    score real NOT NULL,
    PRIMARY KEY (a, a_pos, b, b_pos)
);
CREATE INDEX IF NOT EXISTS shared_b ON shared(b);
CREATE TABLE IF NOT EXISTS lineage(
    origin text NOT NULL,
    carrier text NOT NULL,
    sentences integer NOT NULL,
    PRIMARY KEY (origin, carrier)
);
CREATE INDEX IF NOT EXISTS lineage_carrier ON lineage(carrier);
"""

EXTRA = """
ALTER TABLE watches ADD COLUMN IF NOT EXISTS host text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS watches_host_due ON watches (host, next_due) WHERE paused = 0;
CREATE TABLE IF NOT EXISTS host_schedule(
    host text PRIMARY KEY,
    next_ok double precision NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS versions(
    watch_id bigint NOT NULL,
    text_hash text NOT NULL,
    source_id text NOT NULL,
    at double precision NOT NULL,
    PRIMARY KEY (watch_id, text_hash)
);
"""

#: Tables added after schema 1 was released: made in a fresh database and, when missing, in one made before them
#: (``ensure_schema`` runs these on every start; each statement does nothing when its table is there). The paths
#: each generation changed (``file_changes``: a file, a folder ending in '/', NULL for any) let an app server re-read
#: just those (``parallax.store.serving``). The index on outlet and day lets a filtered search start from the few
#: sources it names; the search column's statistics keep 10,000 words, so the words too common to rank are known
#: (``PostgresStore.common_words``).
LATER = """
CREATE TABLE IF NOT EXISTS editor_sessions(
    id text PRIMARY KEY,
    token text NOT NULL,
    created double precision NOT NULL,
    expires double precision NOT NULL
);
CREATE TABLE IF NOT EXISTS drafts(
    id text PRIMARY KEY,
    payload text NOT NULL,
    created double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS drafts_created ON drafts(created);
CREATE TABLE IF NOT EXISTS file_changes(
    generation bigint NOT NULL,
    path text
);
CREATE INDEX IF NOT EXISTS file_changes_generation ON file_changes(generation);
CREATE INDEX IF NOT EXISTS sources_outlet_day ON sources (lower(outlet), (left(coalesce(nullif(published, ''),
    captured), 10) COLLATE "C"));
DO $$ BEGIN
    IF (SELECT coalesce(attstattarget, -1) FROM pg_attribute
        WHERE attrelid = 'sentences'::regclass AND attname = 'tsv') < 1000 THEN
        ALTER TABLE sentences ALTER COLUMN tsv SET STATISTICS 1000;
    END IF;
END $$;
"""

_TYPES = {"INTEGER": "bigint", "REAL": "double precision", "TEXT": "text", "": "text"}


@cache
def state_columns() -> dict[str, list[tuple[str, str, bool, str]]]:
    """Each embedded state table's columns as (name, SQLite type, is the integer primary key, column constraints:
    NOT NULL and DEFAULT as the embedded schema has them), in order."""
    conn = sqlite3.connect(":memory:")
    try:
        state.migrate(conn)
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {table: [(row[1], row[2].upper(), bool(row[5]) and row[2].upper() == "INTEGER",
                         (" NOT NULL" if row[3] else "") + (f" DEFAULT {row[4]}" if row[4] is not None else ""))
                        for row in conn.execute(f"PRAGMA table_info({table})")]  # nosec B608
                for table in tables}
    finally:
        conn.close()


@cache
def state_ddl() -> str:
    """CREATE TABLE statements for the state tables in PostgreSQL, one per embedded table, same columns."""
    statements = []
    for table, columns in state_columns().items():
        parts = []
        for name, kind, key, constraints in columns:
            if key:
                parts.append(f"{name} bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
            else:
                parts.append(f"{name} {_TYPES.get(kind, 'text')}{constraints}")
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(parts)})")
    statements.append("CREATE UNIQUE INDEX IF NOT EXISTS watches_story_url ON watches (story, url)")
    statements.append("CREATE INDEX IF NOT EXISTS watches_due ON watches (paused, next_due)")
    statements.append("CREATE INDEX IF NOT EXISTS fetch_log_watch ON fetch_log (watch_id, at)")
    statements.append("CREATE INDEX IF NOT EXISTS notes_story ON notes (story, id)")
    return ";\n".join(statements) + ";\n"


def full_ddl() -> str:
    """Every statement that makes a fresh database current."""
    return CORPUS + state_ddl() + EXTRA + LATER
