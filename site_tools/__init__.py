"""The site's tools: its builds (MkDocs, Zensical), a static file server, a headless Chromium."""
