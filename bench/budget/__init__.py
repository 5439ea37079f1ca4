"""The request-budget rows of the bench (issue 10): hostile documents, sign-ins, a huge body.

Three rows, each measured in seconds against a figure of the same run:

- **hostile documents refused vs `{ __typename }`**: ten fragments, each spreading the next six
  times (about 600 characters), plain, with an alias in every fragment, and with a deep
  `__schema` walk at the bottom; every request's text differs (the letters of its fragment
  names spell the request's number, at the attack's length) and so does the baseline's
  (`{ aXYZ: __typename }`), so the document cache answers neither. Ratio of median (and p95)
  latencies of anonymous POSTs from a few keep-alive clients.
- **`{ __typename }` during eight sign-ins vs idle**: eight clients loop `login` with the
  *correct* password of eight distinct seeded office users (so neither the per-user nor the
  per-address throttle turns them into cheap refusals: every one verifies an Argon2 hash and
  issues a token) while one client probes on a fixed schedule (open loop); ratio of the
  probe's median (and p95) latency.
- **server RSS growth while a 100 MB JSON body is refused**: streamed from a generator, with
  and without Content-Length; the growth is the peak resident set (VmHWM, reset through
  /proc/<pid>/clear_refs, and sampled VmRSS) over VmRSS before. An absolute figure in MB.

The service runs in a process of its own for these rows, restarted when a hostile document
kept it busy past the per-request timeout, so a stalled event loop never delays another row.

One module per row (`hostile`, `sign_ins`, `body`); `documents` writes what they send,
`samples` times requests and sums them up, `memory` reads the server's, `service` runs it.
"""

from __future__ import annotations

from bench.budget.body import body_row
from bench.budget.hostile import hostile_row
from bench.budget.service import Service, budget_config
from bench.budget.sign_ins import sign_in_row
from bench.report import Row


async def rows(database_url: str, quick: bool, password: str) -> list[Row]:
    """The three budget rows, against a server process of their own."""
    bc = budget_config(quick)
    service = Service(database_url, bc.concurrency)
    try:
        found = [await hostile_row(service, bc)]
        print(f"  {found[-1].name}: done", flush=True)
        found.append(await sign_in_row(service, bc, password))
        print(f"  {found[-1].name}: done", flush=True)
        found.append(await body_row(service, bc))
    finally:
        await service.close()
    return found
