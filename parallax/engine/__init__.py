"""The reading engine: diffing, pairing, similarity, facts and its config."""
