"""The script a user would write instead of okrsync: the same KRs, on the same client libraries,
each KR fetched on its own, one after the other, paging through every matching record.

- Jira: `JIRA.search_issues(jql, maxResults=False, fields=...)`, the library's "fetch everything",
  which pages 100 issues at a time (`maxResults=100` on the wire, Cloud and Data Center alike);
  counts are `len()` of the result, sums and averages are computed client-side. The field ids come
  from one `jira.fields()` call at the start. Only the fields needed are asked for (a careless
  script would ask for all of them: the same number of requests, much bigger answers).
- GitHub: `Github.search_issues(q)` iterated to the end (100 a page); PyGithub stops where GitHub's
  search does, at 1,000 results, so a count above that is wrong. A milestone: `get_repo`,
  `get_milestones(state="all")` to find it, then its issues iterated to count the closed ones (via
  search `repo:R milestone:M`: the sandbox has no issue-list endpoint; `repo.get_issues(milestone=m,
  state="all")` costs the same number of pages on github.com).
- Sheets: one `values.get` per cell or range, numbers parsed client-side.
- No dedupe (two KRs with the same query fetch it twice), no ETag, no concurrency. A formula that
  names another KR reuses the value already computed (it is a reference, not a query).

The clients' own sleeps are switched off so the script is not slowed artificially: `JIRA(max_retries=0)`,
`Github(retry=None, seconds_between_requests=None, seconds_between_writes=None)` (PyGithub otherwise
waits 0.25 s between requests), googleapiclient's `num_retries` is 0 by default.

`python -m bench.naive SPEC.json OUT.json`: SPEC holds the sandbox's URLs and secrets, the cycle and
the KRs (as in okrsync.yaml); OUT gets the values, per-query record counts, wall time and peak RSS.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()

from github import Auth, Github
from google.oauth2 import service_account
from googleapiclient.discovery import build
from jira import JIRA

IMPORTED = time.perf_counter()


def render(text: str, cycle: dict[str, str], tool: str) -> str:
    """What the user would type for the cycle's dates (okrsync renders them the same way for a UTC site)."""
    if tool == "jira":
        start, end = f'"{cycle["start"]} 00:00"', f'"{cycle["end"]} 23:59"'
    else:
        start, end = cycle["start"], cycle["end"]
    return text.replace("{cycle.start}", start).replace("{cycle.end}", end).replace("{cycle.name}", cycle["name"])


def number(cell: Any) -> float:
    """A naive cell parser: '$1,234.50' -> 1234.5, '45%' -> 0.45."""
    if isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, (int, float)):
        return float(cell)
    text = str(cell).strip().replace(",", "").replace("$", "")
    if text.endswith("%"):
        return float(text[:-1]) / 100
    return float(text)


class Naive:
    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        self.cycle = spec["cycle"]
        self.reads: list[dict[str, Any]] = []  # one per source metric fetched, duplicates included
        jira = spec["jira"]
        auth = {"basic_auth": (jira["email"], jira["token"])} if jira.get("email") else {"token_auth": jira["token"]}
        self.jira = JIRA(server=jira["url"], max_retries=0, timeout=60, **auth)  # reads serverInfo (Cloud or not)
        self.field_ids = {f["name"]: f["id"] for f in self.jira.fields()}
        gh = spec["github"]
        self.github = Github(auth=Auth.Token(gh["token"]), base_url=gh["url"], per_page=100, timeout=60,
                             retry=None, seconds_between_requests=None, seconds_between_writes=None)
        sheets = spec["sheets"]
        credentials = service_account.Credentials.from_service_account_file(
            sheets["credentials"], scopes=["https://www.googleapis.com/auth/spreadsheets.readonly"])
        self.sheets = build("sheets", "v4", credentials=credentials, cache_discovery=False, static_discovery=True,
                            client_options={"api_endpoint": sheets["url"].rstrip("/") + "/"})
        self.spreadsheet = sheets["spreadsheet"]

    # --- one source metric ----------------------------------------------------------------------

    def fetch(self, metric: dict[str, Any]) -> float:
        tool = self.spec["tools"][metric["source"]]
        if tool == "jira":
            return self._jira(metric)
        if tool == "github":
            return self._github(metric)
        return self._sheets(metric)

    def _jira(self, metric: dict[str, Any]) -> float:
        if "count" in metric:
            jql = render(metric["count"], self.cycle, "jira")
            issues = self.jira.search_issues(jql, maxResults=False, fields="key")
            self._note("count", jql, len(issues))
            return float(len(issues))
        agg = "sum" if "sum" in metric else "avg"
        field_id = self.field_ids[metric[agg]]
        jql = render(metric["jql"], self.cycle, "jira")
        issues = self.jira.search_issues(jql, maxResults=False, fields=f"key,{field_id}")
        values = [float(v) for issue in issues if (v := issue.raw.get("fields", {}).get(field_id)) is not None]
        self._note(agg, jql, len(issues), field=metric[agg])
        return math.fsum(values) if agg == "sum" else math.fsum(values) / len(values)

    def _github(self, metric: dict[str, Any]) -> float:
        if "count" in metric:
            query = render(metric["count"], self.cycle, "github")
            total = sum(1 for _ in self.github.search_issues(query))
            self._note("count", query, total)
            return float(total)
        repo = self.github.get_repo(metric["repo"])
        milestone = next(m for m in repo.get_milestones(state="all") if m.title == metric["milestone"])
        title = f'"{milestone.title}"' if re.search(r"\s", milestone.title) else milestone.title
        closed = total = 0
        for item in self.github.search_issues(f"repo:{metric['repo']} milestone:{title}"):
            total += 1
            closed += item.state == "closed"
        self._note("milestone", metric["milestone"], total, repo=metric["repo"])
        return closed / total if total else 0.0

    def _sheets(self, metric: dict[str, Any]) -> float:
        a1 = metric.get("cell") or metric["range"]
        answer = self.sheets.spreadsheets().values().get(spreadsheetId=self.spreadsheet, range=a1,
                                                          valueRenderOption="UNFORMATTED_VALUE").execute()
        cells = [c for row in answer.get("values", []) for c in row if not (isinstance(c, str) and not c.strip())]
        if "cell" in metric:
            self._note("cell", a1, 1)
            return number(cells[0])
        numbers = [number(c) for c in cells]
        self._note("range", a1, len(numbers), agg=metric["agg"])
        agg = metric["agg"]
        if agg == "count":
            return float(len(numbers))
        if agg == "last":
            return numbers[-1]
        return {"sum": math.fsum, "avg": lambda v: math.fsum(v) / len(v), "min": min, "max": max}[agg](numbers)

    def _note(self, kind: str, query: str, records: int, **extra: Any) -> None:
        self.reads.append({"kind": kind, "query": query, "records": records, **extra})

    # --- one KR -----------------------------------------------------------------------------------

    def value(self, kr: dict[str, Any], values: dict[str, float]) -> float:
        metric = kr["metric"]
        if "ratio" in metric:
            return self.fetch(metric["ratio"]["numerator"]) / self.fetch(metric["ratio"]["denominator"])
        if "formula" in metric:
            names = {name: values[var] if isinstance(var, str) else self.fetch(var) for name, var in metric["vars"].items()}
            return float(eval(metric["formula"], {"__builtins__": {}, "max": max, "min": min, "abs": abs, "round": round}, names))
        return self.fetch(metric)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    began = time.perf_counter()
    cpu = os.times()
    naive = Naive(spec)
    values: dict[str, float | None] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for kr in spec["krs"]:
        t = time.perf_counter()
        try:
            values[kr["id"]] = naive.value(kr, values)  # type: ignore[arg-type]
        except Exception as error:  # noqa: BLE001 - a user's script would stop here; we note it and go on
            values[kr["id"]] = None
            errors[kr["id"]] = f"{type(error).__name__}: {str(error)[:200]}"
        seconds[kr["id"]] = round(time.perf_counter() - t, 3)
    return {
        "values": values, "errors": errors, "seconds_per_kr": seconds, "reads": naive.reads,
        "wall_seconds": time.perf_counter() - began, "import_seconds": IMPORTED - STARTED,
        "cpu_seconds": (os.times().user - cpu.user) + (os.times().system - cpu.system),
        "peak_rss_kb": peak_rss_kb(),
    }


def peak_rss_kb() -> int:
    """VmHWM (this address space's peak RSS); ru_maxrss where /proc is missing. On Linux ru_maxrss
    survives exec, so a script started by a big process would report its parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    try:
        result = run(spec)
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        return 2
    Path(argv[1]).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
