"""Response bodies and headers for the connector tests, shaped like the vendors' own answers.

Written for okrsync (not copied): field names, nesting, types, pagination fields, error bodies and
headers follow the Jira, GitHub and Google Sheets examples in ../shared/payloads/ (serverInfo, myself,
/field, /search/jql token pages, /search startAt/total pages, the `maxResults: 0` quirk, comment pages;
search/issues, milestones, rate_limit, issue comments, X-RateLimit-*, ETag, Link, Retry-After;
values:batchGet, values:batchUpdate, both Google error styles, the token endpoint).
"""

from __future__ import annotations

import json
from typing import Any

# --- Jira ----------------------------------------------------------------------------------------

JIRA_CLOUD = "https://acme.atlassian.net"
JIRA_DC = "https://jira.acme.example"
JIRA_EMAIL = "okr-bot@acme.example"
JIRA_TOKEN = "ATATT3xFfGF0-jira-secret-token-Zq81"
JIRA_PAT = "NjQ2MzE5-dc-personal-access-token-Kx2"
STORY_POINTS = "customfield_10016"
CYCLE_TIME = "customfield_10060"

_AVATARS = {
    size: f"https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials/OB-4.png?size={n}&s={n}"
    for size, n in (("16x16", 16), ("24x24", 24), ("32x32", 32), ("48x48", 48))
}


def jira_server_info(base: str = JIRA_CLOUD, deployment: str = "Cloud") -> dict[str, Any]:
    """GET /rest/api/2/serverInfo."""
    cloud = deployment == "Cloud"
    return {
        "baseUrl": base,
        "buildDate": "2026-10-28T04:11:52.000+0000",
        "buildNumber": 100291 if cloud else 9120002,
        "defaultLocale": {"locale": "en_US"},
        "deploymentType": deployment,
        "scmInfo": "9f3c1b0d7a7e4f0f8e0c5d2a1b3c4d5e6f708192",
        "serverTime": "2026-11-02T10:15:00.000+0000",
        "serverTimeZone": "Etc/UTC" if cloud else "Europe/Berlin",
        "serverTitle": "Acme Jira",
        "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.2",
        "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 2],
    }


def jira_myself(base: str = JIRA_CLOUD, time_zone: str = "Europe/Berlin", cloud: bool = True) -> dict[str, Any]:
    """GET /rest/api/2/myself (Cloud: accountId, empty key/name; Data Center: key and name)."""
    if cloud:
        return {
            "accountId": "5b10a2844c20165700ede21g",
            "accountType": "atlassian",
            "active": True,
            "applicationRoles": {"items": [], "size": 1},
            "avatarUrls": _AVATARS,
            "displayName": "OKR Bot",
            "emailAddress": JIRA_EMAIL,
            "groups": {"items": [], "size": 3},
            "key": "",
            "name": "",
            "self": f"{base}/rest/api/2/user?accountId=5b10a2844c20165700ede21g",
            "timeZone": time_zone,
        }
    return {
        "self": f"{base}/rest/api/2/user?username=okr-bot",
        "key": "JIRAUSER10100",
        "name": "okr-bot",
        "emailAddress": JIRA_EMAIL,
        "avatarUrls": _AVATARS,
        "displayName": "OKR Bot",
        "active": True,
        "deleted": False,
        "timeZone": time_zone,
        "locale": "en_US",
        "groups": {"size": 1, "items": []},
        "applicationRoles": {"size": 1, "items": []},
        "expand": "groups,applicationRoles",
    }


def _system_field(field_id: str, name: str, kind: str) -> dict[str, Any]:
    return {
        "clauseNames": [field_id],
        "custom": False,
        "id": field_id,
        "key": field_id,
        "name": name,
        "navigable": True,
        "orderable": True,
        "schema": {"system": field_id, "type": kind},
        "searchable": True,
    }


def _custom_field(number: int, name: str, kind: str, custom_type: str) -> dict[str, Any]:
    return {
        "clauseNames": [f"cf[{number}]", name],
        "custom": True,
        "id": f"customfield_{number}",
        "key": f"customfield_{number}",
        "name": name,
        "navigable": True,
        "orderable": True,
        "schema": {"custom": f"com.atlassian.jira.plugin.system.customfieldtypes:{custom_type}", "customId": number, "type": kind},
        "searchable": True,
        "untranslatedName": name,
    }


def jira_fields() -> list[dict[str, Any]]:
    """GET /rest/api/2/field: system fields and custom fields, Story Points among them."""
    return [
        _system_field("summary", "Summary", "string"),
        _system_field("description", "Description", "string"),
        _custom_field(10016, "Story Points", "number", "float"),
        _custom_field(10020, "Sprint", "array", "gh-sprint"),
        _custom_field(10041, "Team", "string", "textfield"),
        _custom_field(10050, "Budget", "number", "float"),
        _custom_field(10051, "Budget", "number", "float"),  # two fields with one display name
        _custom_field(10060, "Cycle Time", "number", "float"),
    ]


def jira_issue(key: str, issue_id: int, base: str = JIRA_CLOUD, api: int = 3, **fields: Any) -> dict[str, Any]:
    """One issue of a search page; `fields` holds only what was asked for."""
    issue: dict[str, Any] = {
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": str(issue_id),
        "self": f"{base}/rest/api/{api}/issue/{issue_id}",
        "key": key,
    }
    if fields:
        issue["fields"] = fields
    return issue


def jira_cloud_page(issues: list[dict[str, Any]], next_token: str | None = None) -> dict[str, Any]:
    """GET /rest/api/3/search/jql: token pagination, `isLast`, no total."""
    page: dict[str, Any] = {"issues": issues}
    if next_token is not None:
        page["nextPageToken"] = next_token
    page["isLast"] = next_token is None
    return page


def jira_server_page(issues: list[dict[str, Any]], start_at: int, max_results: int, total: int) -> dict[str, Any]:
    """GET /rest/api/2/search (Data Center): startAt / maxResults / total."""
    return {"expand": "schema,names", "startAt": start_at, "maxResults": max_results, "total": total, "issues": issues}


def jira_errors(*messages: str, **errors: str) -> dict[str, Any]:
    """Jira's ErrorCollection body."""
    return {"errorMessages": list(messages), "errors": dict(errors)}


JIRA_429_HTML = (
    '<!doctype html><html lang="en"><head><title>HTTP Status 429 – Too Many Requests</title></head><body>'
    "<h1>HTTP Status 429 – Too Many Requests</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p>"
    "<p><b>Message</b> Rate limit exceeded.</p><p><b>Description</b> The user has sent too many requests in a "
    'given amount of time ("rate limiting").</p><hr class="line" /><h3>Apache Tomcat/9.0.95</h3></body></html>'
)
JIRA_429_HEADERS = {
    "Content-Type": "text/html;charset=utf-8",
    "X-Seraph-LoginReason": "OK",
    "X-RateLimit-Limit": "5",
    "X-RateLimit-Remaining": "0",
    "X-RateLimit-FillRate": "5",
    "X-RateLimit-Interval-Seconds": "1",
}


def _jira_user(base: str) -> dict[str, Any]:
    return {
        "self": f"{base}/rest/api/2/user?accountId=5b10a2844c20165700ede21g",
        "accountId": "5b10a2844c20165700ede21g",
        "displayName": "OKR Bot",
        "active": True,
        "timeZone": "Europe/Berlin",
        "accountType": "atlassian",
    }


def jira_comment(comment_id: str, body: str, base: str = JIRA_CLOUD, issue_id: int = 10010) -> dict[str, Any]:
    """A comment as GET /rest/api/2/issue/{key}/comment[/{id}] answers it (body in wiki markup)."""
    return {
        "self": f"{base}/rest/api/2/issue/{issue_id}/comment/{comment_id}",
        "id": comment_id,
        "author": _jira_user(base),
        "body": body,
        "updateAuthor": _jira_user(base),
        "created": "2026-11-02T10:15:00.000+0000",
        "updated": "2026-11-02T10:15:00.000+0000",
        "jsdPublic": True,
    }


def jira_comment_page(comments: list[dict[str, Any]], start_at: int = 0, total: int | None = None) -> dict[str, Any]:
    return {"startAt": start_at, "maxResults": 100, "total": len(comments) if total is None else total, "comments": comments}


# --- GitHub --------------------------------------------------------------------------------------

GITHUB_API = "https://api.github.com"
GITHUB_TOKEN = "ghp_R4nd0mL00kingGitHubT0kenValue1234567"


def github_rate_headers(resource: str = "core", remaining: int = 4999, limit: int = 5000, reset: int = 1798790400) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Used": str(limit - remaining),
        "X-RateLimit-Resource": resource,
        "X-GitHub-Request-Id": "C662:025B:26F607:2FDFF2:5F27D299",
    }


def github_rate_limit(search_remaining: int = 30, search_reset: int = 1798790400) -> dict[str, Any]:
    """GET /rate_limit."""

    def budget(limit: int, remaining: int, reset: int = 1798790400) -> dict[str, int]:
        return {"limit": limit, "used": limit - remaining, "remaining": remaining, "reset": reset}

    core = budget(5000, 4988)
    return {
        "resources": {
            "core": core,
            "search": budget(30, search_remaining, search_reset),
            "graphql": budget(5000, 4808),
            "integration_manifest": budget(5000, 5000),
            "code_search": budget(10, 10),
        },
        "rate": core,
    }


def _github_user(login: str = "octo-okr", user_id: int = 31898100) -> dict[str, Any]:
    return {
        "login": login,
        "id": user_id,
        "node_id": "MDQ6VXNlcjMxODk4MTAw",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": f"https://api.github.com/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "User",
        "site_admin": False,
    }


def github_search_item(repo: str, number: int, title: str, pull_request: bool = True) -> dict[str, Any]:
    """One item of GET /search/issues."""
    api = f"https://api.github.com/repos/{repo}/issues/{number}"
    item: dict[str, Any] = {
        "url": api,
        "repository_url": f"https://api.github.com/repos/{repo}",
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"https://github.com/{repo}/{'pull' if pull_request else 'issues'}/{number}",
        "id": 1308970000 + number,
        "node_id": "I_kwDOHrjvNc5OBUxc",
        "number": number,
        "title": title,
        "user": _github_user(),
        "labels": [],
        "state": "closed",
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 0,
        "created_at": "2026-10-03T04:40:52Z",
        "updated_at": "2026-10-05T04:40:52Z",
        "closed_at": "2026-10-05T04:40:52Z",
        "author_association": "MEMBER",
        "active_lock_reason": None,
        "body": "I’ve waited all year long 😭",
        "score": 1.0,
    }
    if pull_request:
        item["pull_request"] = {
            "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "diff_url": f"https://github.com/{repo}/pull/{number}.diff",
            "patch_url": f"https://github.com/{repo}/pull/{number}.patch",
            "merged_at": "2026-10-05T04:40:52Z",
        }
    return item


def github_search(total: int, items: list[dict[str, Any]], incomplete: bool = False) -> dict[str, Any]:
    """GET /search/issues: the exact `total_count`, `incomplete_results`, one page of items."""
    return {"total_count": total, "incomplete_results": incomplete, "items": items}


def github_milestone(repo: str, number: int, title: str, open_issues: int, closed_issues: int) -> dict[str, Any]:
    """One milestone of GET /repos/{owner}/{repo}/milestones."""
    api = f"https://api.github.com/repos/{repo}/milestones/{number}"
    return {
        "url": api,
        "html_url": f"https://github.com/{repo}/milestone/{number}",
        "labels_url": f"{api}/labels",
        "id": 93546 + number,
        "node_id": "MDk6TWlsZXN0b25lOTM1NDY=",
        "number": number,
        "title": title,
        "description": "",
        "creator": _github_user(),
        "open_issues": open_issues,
        "closed_issues": closed_issues,
        "state": "open" if open_issues else "closed",
        "created_at": "2026-09-08T12:22:10Z",
        "updated_at": "2026-11-01T18:48:34Z",
        "due_on": "2026-12-31T08:00:00Z",
        "closed_at": None if open_issues else "2026-11-01T18:48:34Z",
    }


def github_link(url: str, page: int, last: int) -> str:
    """A Link header for `page` of `last` (next/last, then first/prev once past page 1)."""
    links = []
    if page < last:
        links += [f'<{url}&page={page + 1}>; rel="next"', f'<{url}&page={last}>; rel="last"']
    if page > 1:
        links += [f'<{url}&page=1>; rel="first"', f'<{url}&page={page - 1}>; rel="prev"']
    return ", ".join(links)


GITHUB_DEPRECATION_LINK = (
    "<https://github.blog/changelog/2025-03-06-github-issues-projects-api-support-for-issues-advanced-search-and-more/>; "
    'rel="deprecation"; type="text/html"'
)


def github_comment(repo: str, number: int, comment_id: int, body: str) -> dict[str, Any]:
    """An issue comment (GET/POST/PATCH …/issues/comments)."""
    return {
        "url": f"https://api.github.com/repos/{repo}/issues/comments/{comment_id}",
        "html_url": f"https://github.com/{repo}/issues/{number}#issuecomment-{comment_id}",
        "issue_url": f"https://api.github.com/repos/{repo}/issues/{number}",
        "id": comment_id,
        "node_id": "IC_kwDOHrjvNc5OBUxc",
        "user": _github_user(),
        "created_at": "2026-11-02T10:15:00Z",
        "updated_at": "2026-11-02T10:15:00Z",
        "author_association": "MEMBER",
        "body": body,
        "reactions": {
            "url": f"https://api.github.com/repos/{repo}/issues/comments/{comment_id}/reactions",
            "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
        },
        "performed_via_github_app": None,
    }


def github_error(message: str, documentation_url: str = "https://docs.github.com/rest", **extra: Any) -> dict[str, Any]:
    return {"message": message, **extra, "documentation_url": documentation_url}


GITHUB_PRIMARY_LIMIT = (
    "API rate limit exceeded for user ID 31898100. If you reach out to GitHub Support for help, please include "
    "the request ID C662:025B:26F607:2FDFF2:5F27D299."
)
GITHUB_SECONDARY_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out "
    "to GitHub Support for help, please include the request ID C662:025B:26F607:2FDFF2:5F27D299."
)
GITHUB_SEARCH_422 = github_error(
    "Validation Failed",
    "https://docs.github.com/v3/search/",
    errors=[
        {
            "message": "The listed users and repositories cannot be searched either because the resources do not "
            "exist or you do not have permission to view them.",
            "resource": "Search",
            "field": "q",
            "code": "invalid",
        }
    ],
)

# --- Google Sheets -------------------------------------------------------------------------------

SPREADSHEET = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-okr"
TOKEN_URI = "https://oauth2.okrsync.test/token"
ACCESS_TOKEN = "ya29.c.b0AXv0zTPxFake-access-token-never-shown"
GOOGLE_HEADERS = {
    "content-type": "application/json; charset=UTF-8",
    "vary": "Origin, X-Origin, Referer",
    "server": "ESF",
    "date": "Mon, 02 Nov 2026 10:15:00 GMT",
}


def service_account_info(private_key_pem: str, token_uri: str = TOKEN_URI) -> dict[str, str]:
    """A service-account key file as the Cloud console downloads it."""
    return {
        "type": "service_account",
        "project_id": "okrsync-test",
        "private_key_id": "3f1c0ffee0ddba11c0ffee0ddba11c0ffee0ddba",
        "private_key": private_key_pem,
        "client_email": "okrsync-reader@okrsync-test.iam.gserviceaccount.com",
        "client_id": "104827391049283746512",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/okrsync-reader%40okrsync-test.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }


def google_token() -> dict[str, Any]:
    """The token endpoint's answer to the service account's JWT grant."""
    return {"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"}


def value_range(a1: str, values: list[list[Any]] | None = None, major: str = "ROWS") -> dict[str, Any]:
    """One ValueRange; an empty range has no `values` key at all."""
    answer: dict[str, Any] = {"range": a1, "majorDimension": major}
    if values is not None:
        answer["values"] = values
    return answer


def batch_get(*ranges: dict[str, Any], spreadsheet: str = SPREADSHEET) -> dict[str, Any]:
    """GET …/values:batchGet."""
    return {"spreadsheetId": spreadsheet, "valueRanges": list(ranges)}


def batch_update(*updated: tuple[str, int, int], spreadsheet: str = SPREADSHEET) -> dict[str, Any]:
    """POST …/values:batchUpdate; `updated` holds (range, rows, columns) per range written."""
    responses = [
        {"spreadsheetId": spreadsheet, "updatedRange": a1, "updatedRows": rows, "updatedColumns": columns, "updatedCells": rows * columns}
        for a1, rows, columns in updated
    ]
    return {
        "spreadsheetId": spreadsheet,
        "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
        "totalUpdatedColumns": max((r["updatedColumns"] for r in responses), default=0),
        "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
        "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in responses}),
        "responses": responses,
    }


def spreadsheet_metadata(title: str = "OKR Board 2026-Q4", sheets: tuple[str, ...] = ("OKR Board", "Survey")) -> dict[str, Any]:
    """GET /v4/spreadsheets/{id}?fields=spreadsheetId,properties(title,locale,timeZone),sheets(properties(title,sheetId))."""
    return {
        "spreadsheetId": SPREADSHEET,
        "properties": {"title": title, "locale": "en_US", "timeZone": "Europe/Berlin"},
        "sheets": [{"properties": {"sheetId": index * 1000, "title": name}} for index, name in enumerate(sheets)],
    }


def google_error(
    code: int, message: str, status: str | None = None, *, reasons: tuple[str, ...] = (), details: list[Any] | None = None
) -> dict[str, Any]:
    """Google's error body: the newer `status` (+ `details`) style, the older `errors[]` style, or both."""
    error: dict[str, Any] = {"code": code, "message": message}
    if reasons:
        error["errors"] = [{"message": message, "domain": "global" if r == "badRequest" else "usageLimits", "reason": r} for r in reasons]
    if status:
        error["status"] = status
    if details is not None:
        error["details"] = details
    return {"error": error}


SHEETS_UNAUTHENTICATED = google_error(
    401,
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    "UNAUTHENTICATED",
)
SHEETS_PERMISSION_DENIED = google_error(403, "The caller does not have permission", "PERMISSION_DENIED")
SHEETS_NOT_FOUND = google_error(404, "Requested entity was not found.", "NOT_FOUND")
SHEETS_RESOURCE_EXHAUSTED = google_error(
    429,
    "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service "
    "'sheets.googleapis.com' for consumer 'project_number:603366585132'.",
    "RESOURCE_EXHAUSTED",
    details=[
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "quota_metric": "sheets.googleapis.com/read_requests",
                "quota_limit": "ReadRequestsPerMinutePerUser",
                "quota_limit_value": "60",
                "service": "sheets.googleapis.com",
                "consumer": "projects/603366585132",
            },
        }
    ],
)
SHEETS_USER_RATE_LIMIT_LEGACY = google_error(403, "User Rate Limit Exceeded", reasons=("userRateLimitExceeded",))
SHEETS_BACKEND_ERROR = {
    "error": {
        "errors": [
            {
                "domain": "global",
                "reason": "backendError",
                "message": "We encountered an internal error. Please try again using truncated exponential backoff.",
            }
        ],
        "code": 503,
        "message": "Service Unavailable",
    }
}


def sheets_unparsable_range(a1: str) -> dict[str, Any]:
    return google_error(400, f"Unable to parse range: {a1}", "INVALID_ARGUMENT", reasons=("badRequest",))


def as_json(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)
