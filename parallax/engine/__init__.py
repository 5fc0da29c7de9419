"""The reading engine: diffing, pairing, similarity, facts and its config.

Importing it first sets numpy's BLAS to one thread (``blas.one_thread``) unless the environment chose otherwise:
every process that reads — the command line, each server worker, the watcher — multiplies only small matrices.
"""

from parallax.engine import blas

blas.one_thread()
