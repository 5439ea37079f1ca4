"""A zone-sized database for the benchmark: seeded-random programmes, projects and their history.

`python -m server seed-scale --projects 10000` builds, in memory, rows in the proportions of a
city-wide deployment (about 20 milestones, 5 tickets and 50 photo rows per project) and writes
them with one COPY per table on PostgreSQL, or one `executemany` per table on SQLite. Dates are
drawn around today, so a realistic share of milestones is overdue whenever it runs.

`seed` runs it; `generator` builds the tables through one builder module per part of the
domain (`projects`, `accounts`, `plans`, `tickets`, `supervision`, `photos`), which share a
`zone.Zone`; `writer` loads them in bulk.
"""

from __future__ import annotations

from server.demo.scale.accounts import BUSY_SITE_MANAGER, SUPERVISOR
from server.demo.scale.generator import ScaleGenerator
from server.demo.scale.seed import ScaleReport, seed_scale

__all__ = ["BUSY_SITE_MANAGER", "SUPERVISOR", "ScaleGenerator", "ScaleReport", "seed_scale"]
