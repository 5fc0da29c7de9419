"""Corpus-wide batch jobs that run on a cluster engine (Apache Spark) instead of inside the app."""
