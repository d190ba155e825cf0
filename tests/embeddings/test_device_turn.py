"""Local forward passes take turns across the processes of a machine."""

from __future__ import annotations

import subprocess
import sys
import time

from autovec.embeddings.local.loading import device_turn

HOLDER = """
import sys, time
from autovec.embeddings.local.loading import device_turn
with device_turn(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(1.0)
"""


def test_a_second_process_waits_for_the_turn() -> None:
    device = "test-turn"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, device], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    started = time.monotonic()
    with device_turn(device):
        waited = time.monotonic() - started
    holder.wait()
    assert waited > 0.5  # blocked until the other process's pass ended
    started = time.monotonic()
    with device_turn(device):  # free again: no wait
        assert time.monotonic() - started < 0.5
