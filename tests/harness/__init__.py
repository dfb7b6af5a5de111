"""The test harness, one module per job; tests/conftest.py registers them all as plugins.

- server: the one Unleash server of the session, its tokens, users with roles
- demo: the demo flag the samples read
- flags: flags of a run on the front-end API (those the claims only read are made at session start)
- samples: running sample files as a reader runs them
- sdk_runs: the SDK runs that wait out timers, started at session start and read later
- scratch: temp dirs and environments for tests that start sandboxes of their own
- cors: changing a server's allowed origins, one run at a time
- lagging: waits for server-side caches, started at session start and collected last
- reader: a server with a reader's settings and tokens, and the reader's folder and tools
- site: the built site, served on loopback
- browser: one Chromium, fresh contexts, the logged-in admin UI
- screenshots: the UI walks' screenshots, taken and compared with the committed ones
- run: how a session starts and ends (Ctrl-C, the block report)
- page: `make check PAGE=…`, one page's checks against the `make serve` sandbox
- scope: what a run against another server or version leaves out
- forward: a loopback forwarder that notes the requests it passes on
- parallel: which tests share a worker when `make test` runs them on two, and where the
  background group (the tests that read work started at session start) runs
"""
