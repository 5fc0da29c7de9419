"""Every reading process runs numpy's BLAS on one thread unless its environment says otherwise: the engine's
matrices are small, and a spinning BLAS pool slows comparisons on a busy machine."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = ("import os, sys\n"
         "import parallax.app\n"
         "import numpy\n"
         "print(os.environ.get('OPENBLAS_NUM_THREADS'), 'numpy' in sys.modules)\n")


@pytest.mark.parametrize(("given", "expected"), [(None, "1 True"), ("2", "2 True")])
def test_a_server_process_runs_blas_on_one_thread_unless_told(given: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    found = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == expected
