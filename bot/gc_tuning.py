"""Garbage collector settings for the running bot: fewer, cheaper cycle collections.

A turn allocates thousands of container objects (msrest and pydantic models, botbuilder's turn objects,
asyncio futures, aiohttp requests), and some of them end in reference cycles that only the cycle collector
frees. With CPython's default thresholds (700, 10, 10) the bot collected about 2,600 times in 34 s of CPU
(20 of them full collections, each walking the ~150,000 objects that exist from start-up onwards: modules,
botbuilder, the cards' schemas): 14 % of the bot's CPU time was the collector's (measured with
`gc.callbacks` and `time.thread_time`, `benchmarks/load.py` at 50 and 200 users, 12 s each).

`tune_garbage_collector()`, called once when the runtime is built:

  1. `gc.freeze()` after one collection: what exists at start-up lives as long as the process, so it moves
     to the permanent generation and later full collections do not walk it again;
  2. `gc.set_threshold(GEN0_THRESHOLD, 20, 10)`: a young-generation collection after 50,000 surviving
     allocations instead of 700. Objects freed by reference counting (nearly all) never count; the pending
     cyclic garbage stays a few MB. A collection then takes some tens of ms, every few hundred turns.

Measured (same runs, GC CPU seconds of ~34 s of bot CPU; turns/s at 50 / 200 users, two runs each):
defaults 4.6-4.8 s (14 %), 222-229 / 206-239 turns/s; threshold 10,000 1.8-2.2 s, 242-252 / 257-282;
freeze + 10,000 2.0-2.2 s; freeze + 50,000 (this) 1.4-1.5 s (4 %), 230-236 / 260-328 turns/s. Over each
whole run that is 9-12 % less bot CPU per turn. The freeze alone (default thresholds) saved only ~1 s.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("vaern.gc")

GEN0_THRESHOLD = 50_000
GEN1_THRESHOLD = 20
GEN2_THRESHOLD = 10


def tune_garbage_collector() -> None:
    """Freeze what start-up made and collect young objects less often (once, after the runtime is built)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
    log.info("garbage collector: %d start-up objects frozen, thresholds %s", gc.get_freeze_count(), gc.get_threshold())
