"""Indexes over the whole corpus: full-text search and the shared-passage index."""
