"""A faithful Banesco simulator (token + confirmation lookup), in-process or as an HTTP server.

The same `app.handle()` serves both: `adapter.SandboxAdapter` (a `requests` transport adapter
mounted on the client's session when BANESCO_ENVIRONMENT=sandbox) and `server` (a stdlib
ThreadingHTTPServer behind `manage.py banesco_sandbox`).
"""
