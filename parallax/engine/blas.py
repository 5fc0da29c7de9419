"""How many threads numpy's BLAS runs, set before numpy loads (this module imports nothing that loads it).

The engine multiplies small matrices (a few hundred sentence vectors, the encoder's 384-token batches): a second
BLAS thread gains nothing there, starting OpenBLAS's pool costs a tenth of a second of numpy's import, and its idle
threads spin against the comparison on a busy machine. A command that compares once runs BLAS on one thread.
"""

from __future__ import annotations

import os
import sys


def one_thread() -> None:
    """Run numpy's BLAS on one thread in this process, unless the environment chose otherwise; only in effect when
    numpy is not imported yet (OpenBLAS reads the variable as it loads)."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
