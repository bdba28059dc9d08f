"""The sandbox in a process of its own, so that its work (JQL over thousands of issues, JSON
rendering) neither shares the benchmark's GIL nor counts in its memory, as a real Jira would not.

`python -m bench.sandbox_proc --data FILE --latency-ms 50 --workdir DIR` starts `sandbox.server.Sandbox`,
prints one JSON line (URLs, `config_fragment()`, `env()`, deployment), then serves until its stdin
closes. `SandboxProcess` runs it and reads the request log and GitHub's budgets over the sandbox's
admin endpoints (`/_admin/requests`, `/_admin/reset-log`, `/_admin/rate-limits`, `GET /rate_limit`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox_proc")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--jira-deployment", choices=("Cloud", "Server"))
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)

    from sandbox.server import Sandbox

    args.workdir.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(args.data, jira_deployment=args.jira_deployment, latency_ms=args.latency_ms, workdir=args.workdir)
    with sandbox:
        hello = {
            "urls": sandbox.urls, "fragment": sandbox.config_fragment(), "env": sandbox.env(),
            "deployment": sandbox.jira_deployment, "github_token": sandbox.credentials.github_token,
            "jira_email": sandbox.credentials.jira_email, "spreadsheet": sandbox.spreadsheet_id, "now": sandbox.now.isoformat(),
        }
        print(json.dumps(hello), flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    return 0


class SandboxProcess:
    """Starts the sandbox process and talks to its admin endpoints."""

    def __init__(self, data: Path, workdir: Path, latency_ms: int, jira_deployment: str | None = None):
        command = [sys.executable, "-m", "bench.sandbox_proc", "--data", str(data), "--workdir", str(workdir),
                   "--latency-ms", str(latency_ms)]
        if jira_deployment:
            command += ["--jira-deployment", jira_deployment]
        self._process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self._process.stdout.readline() if self._process.stdout else ""
        if not line:
            self.stop()
            raise RuntimeError("the sandbox process did not start (see its error above)")
        self.info: dict[str, Any] = json.loads(line)
        self.urls: dict[str, str] = self.info["urls"]
        self.pid = self._process.pid

    def stop(self) -> None:
        if self._process.poll() is None:
            if self._process.stdin:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.terminate()
                self._process.wait(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- admin ------------------------------------------------------------------------------------

    def _call(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
        return json.loads(raw) if raw else None

    def requests_log(self) -> dict[str, Any]:
        """{"total", "counts": {"jira GET /rest/api/{version}/search/jql": n, ...}, "requests": [...]} for all services."""
        return self._call("GET", f"{self.urls['jira']}/_admin/requests")

    def reset_log(self) -> None:
        self._call("POST", f"{self.urls['jira']}/_admin/reset-log")

    def set_rate_limit(self, resource: str, limit: int) -> None:
        self._call("POST", f"{self.urls['github']}/_admin/rate-limits", {"resource": resource, "limit": limit})

    def github_budgets(self) -> dict[str, dict[str, int]]:
        """GitHub's own account of the token's budgets: GET /rate_limit (costs nothing; it is logged,
        so call it only between the phases whose logs are read)."""
        answer = self._call("GET", f"{self.urls['github']}/rate_limit", headers={"Authorization": f"token {self.info['github_token']}"})
        return {name: answer["resources"][name] for name in ("core", "search")}


if __name__ == "__main__":
    sys.exit(main())
