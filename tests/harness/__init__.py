"""The test harness, one module per job; tests/conftest.py registers them all as plugins.

- server: the one Unleash server of the session, its tokens, users with roles
- demo: the demo flag the samples read
- samples: running sample files as a reader runs them
- scratch: temp dirs and environments for tests that start sandboxes of their own
- cors: changing a server's allowed origins, one run at a time
- lagging: waits for server-side caches, started at session start and collected last
- reader: a server with a reader's settings and tokens, and the reader's folder and tools
- site: the built site, served on loopback
- browser: one Chromium, fresh contexts, the logged-in admin UI
- screenshots: the UI walks' screenshots, taken and compared with the committed ones
- run: how a session starts and ends (Ctrl-C, the block report)
- parallel: which tests share a worker when `make test` runs them on two
"""
