"""Getting sources in and keeping them: adding, ingest, fetch, feeds, watch, state, manage."""
