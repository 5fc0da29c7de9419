"""Reading one story across its sources: overview, quotes, summary, digest, timeline, lineage."""
