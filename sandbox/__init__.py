"""Local emulators of the Jira, GitHub and Google Sheets REST APIs that okrsync uses (docs/sandbox.md).

`sandbox.server.Sandbox` runs them; `python -m sandbox serve` and `python -m sandbox generate` are the
command line; `sandbox.pytest_plugin` gives tests a `sandbox` fixture. Nothing here imports okrsync.
"""
