"""Jira's JSON shapes (REST API v2): serverInfo, myself, field list, issues, users, comments.

Shapes follow Atlassian's OpenAPI examples and recorded Cloud/Data Center answers (docs/sandbox.md
lists which); every `self` URL points back at the sandbox."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

from sandbox.jira_store import EPIC_LINK, Comment, CustomField, Issue, IssueState, JiraStore, Named, Status, User, state_at

CLOUD_VERSION = ("1001.0.0-SNAPSHOT", [1001, 0, 0])
SERVER_VERSION = ("9.12.15", [9, 12, 15])
SYSTEM_FIELDS: list[tuple[str, str, str, list[str]]] = [  # id, name, schema type, clause names
    ("issuekey", "Key", "", ["id", "issue", "issuekey", "key"]),
    ("summary", "Summary", "string", ["summary"]),
    ("issuetype", "Issue Type", "issuetype", ["issuetype", "type"]),
    ("project", "Project", "project", ["project"]),
    ("status", "Status", "status", ["status"]),
    ("statusCategory", "Status Category", "statusCategory", ["statusCategory"]),
    ("resolution", "Resolution", "resolution", ["resolution"]),
    ("resolutiondate", "Resolved", "datetime", ["resolutiondate", "resolved"]),
    ("created", "Created", "datetime", ["created", "createdDate"]),
    ("updated", "Updated", "datetime", ["updated", "updatedDate"]),
    ("labels", "Labels", "array", ["labels"]),
    ("assignee", "Assignee", "user", ["assignee"]),
    ("reporter", "Reporter", "user", ["reporter"]),
    ("priority", "Priority", "priority", ["priority"]),
    ("fixVersions", "Fix versions", "array", ["fixVersion"]),
    ("parent", "Parent", "issuelink", ["parent"]),
    ("comment", "Comment", "comments-page", ["comment"]),
]


def jira_time(moment: dt.datetime, zone: str) -> str:
    """Jira's timestamp format: 2026-10-02T09:00:00.000+0000 (in the site's time zone)."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")


class JiraRenderer:
    def __init__(self, store: JiraStore, base: str, now: dt.datetime):
        self.store, self.base, self.now = store, base, now
        self.api = f"{base}/rest/api/2"

    def time(self, moment: dt.datetime | None) -> str | None:
        return None if moment is None else jira_time(moment, self.store.timezone)

    # --- site ------------------------------------------------------------------------------------

    def server_info(self) -> dict[str, Any]:
        cloud = self.store.is_cloud
        version, numbers = CLOUD_VERSION if cloud else SERVER_VERSION
        info = {
            "baseUrl": self.base,
            "displayUrl": self.base,
            "version": version,
            "versionNumbers": numbers,
            "deploymentType": "Cloud" if cloud else "Server",
            "buildNumber": 100285 if cloud else 9120015,
            "buildDate": "2026-01-14T00:00:00.000+0000",
            "serverTime": self.time(self.now),
            "scmInfo": "5d6f7e8a9b0c1d2e3f40516273849506a7b8c9d0",
            "serverTitle": "Jira (okrsync sandbox)",
            "defaultLocale": {"locale": "en_US"},
            "serverTimeZone": self.store.timezone,
        }
        if not cloud:
            info.pop("displayUrl")
        return info

    def user(self, user: User | None) -> dict[str, Any] | None:
        if user is None:
            return None
        avatars = {size: f"{self.base}/secure/useravatar?size={size}&ownerId={user.name}" for size in ("48x48", "24x24", "16x16", "32x32")}
        if self.store.is_cloud:
            return {
                "self": f"{self.api}/user?accountId={user.account_id}",
                "accountId": user.account_id,
                "emailAddress": user.email,
                "avatarUrls": avatars,
                "displayName": user.display_name,
                "active": True,
                "timeZone": user.time_zone,
                "accountType": "atlassian",
            }
        return {
            "self": f"{self.api}/user?username={user.name}",
            "name": user.name,
            "key": user.name,
            "emailAddress": user.email,
            "avatarUrls": avatars,
            "displayName": user.display_name,
            "active": True,
            "timeZone": user.time_zone,
        }

    def myself(self) -> dict[str, Any]:
        me = self.user(self.store.api_user) or {}
        me.update(
            {
                "locale": "en_US",
                "groups": {"size": 1, "items": []},
                "applicationRoles": {"size": 1, "items": []},
                "expand": "groups,applicationRoles",
            }
        )
        if not self.store.is_cloud:
            me["deleted"] = False
        return me

    def fields(self) -> list[dict[str, Any]]:
        answer = []
        for field_id, name, kind, clauses in SYSTEM_FIELDS:
            entry: dict[str, Any] = {
                "id": field_id, "key": field_id, "name": name, "custom": False, "orderable": True,
                "navigable": True, "searchable": True, "clauseNames": clauses,
            }
            if kind:
                entry["schema"] = {"type": kind, "system": field_id}
                if kind == "array":
                    entry["schema"]["items"] = "string" if field_id == "labels" else "version"
            answer.append(entry)
        return answer + [self._custom_field(f) for f in self.store.custom_fields]

    def _custom_field(self, field: CustomField) -> dict[str, Any]:
        epic = field is EPIC_LINK
        plugin = "com.pyxis.greenhopper.jira:gh-epic-link" if epic else "com.atlassian.jira.plugin.system.customfieldtypes:float"
        return {
            "id": field.id, "key": field.id, "name": field.name, "untranslatedName": field.name, "custom": True,
            "orderable": True, "navigable": True, "searchable": True,
            "clauseNames": [f"cf[{field.number}]", field.name, f"{field.name}[{'Epic Link' if epic else 'Number'}]"],
            "schema": {"type": "any" if epic else "number", "custom": plugin, "customId": field.number},
        }

    # --- issues ----------------------------------------------------------------------------------

    def issue(self, state: IssueState, wanted: set[str] | None, expand: str) -> dict[str, Any]:
        """An issue with the fields asked for (None: all of them); only those are rendered."""
        issue = state.issue
        makers = self._fields(state)
        fields = {name: make() for name, make in makers.items() if wanted is None or name in wanted}
        if "parent" in fields and fields["parent"] is None:
            del fields["parent"]  # Jira leaves `parent` out of an issue that has none
        return {"expand": expand, "id": issue.id, "self": f"{self.api}/issue/{issue.id}", "key": issue.key, "fields": fields}

    def _fields(self, state: IssueState) -> dict[str, Callable[[], Any]]:
        issue = state.issue
        parent = self.store.issues.get(issue.parent) if issue.parent else None
        epic = parent.key if parent is not None and parent.issue_type.name == "Epic" else None
        fields: dict[str, Callable[[], Any]] = {
            "summary": lambda: issue.summary,
            "issuetype": lambda: self._issue_type(issue.issue_type),
            "parent": lambda: self._parent(parent) if parent is not None else None,
            "project": lambda: self._project(issue),
            "status": lambda: self._status(state.status),
            "statuscategorychangedate": lambda: self.time(state.updated),
            "resolution": lambda: self._named("resolution", state.resolution),
            "resolutiondate": lambda: self.time(state.resolved),
            "created": lambda: self.time(issue.created),
            "updated": lambda: self.time(state.updated),
            "labels": lambda: list(issue.labels),
            "assignee": lambda: self.user(issue.assignee),
            "reporter": lambda: self.user(issue.reporter),
            "creator": lambda: self.user(issue.reporter),
            "priority": lambda: self._named("priority", issue.priority),
            "fixVersions": lambda: [self._version(v) for v in issue.fix_versions],
            "comment": lambda: self.comments(issue, 0, 5000),
        }
        for field in self.store.custom_fields:
            fields[field.id] = (lambda: epic) if field is EPIC_LINK else _value_of(issue, field.id)
        return fields

    def _parent(self, parent: Issue) -> dict[str, Any]:
        state = state_at(parent, self.now)
        return {
            "id": parent.id,
            "key": parent.key,
            "self": f"{self.api}/issue/{parent.id}",
            "fields": {
                "summary": parent.summary,
                "status": self._status(state.status),
                "priority": self._named("priority", parent.priority),
                "issuetype": self._issue_type(parent.issue_type),
            },
        }

    def _project(self, issue: Issue) -> dict[str, Any]:
        project = issue.project
        return {
            "self": f"{self.api}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": {"48x48": f"{self.base}/secure/projectavatar?pid={project.id}&avatarId=10400"},
        }

    def _status(self, status: Status) -> dict[str, Any]:
        category = status.category
        return {
            "self": f"{self.api}/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": {
                "self": f"{self.api}/statuscategory/{category.id}",
                "id": category.id,
                "key": category.key,
                "colorName": category.color,
                "name": category.name,
            },
        }

    def _issue_type(self, kind: Named) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issuetype/{kind.id}",
            "id": kind.id,
            "description": kind.description,
            "iconUrl": f"{self.base}/secure/viewavatar?size=medium&avatarId={kind.id}&avatarType=issuetype",
            "name": kind.name,
            "subtask": kind.level < 0,
            "hierarchyLevel": kind.level,
        }

    def _named(self, kind: str, item: Named | None) -> dict[str, Any] | None:
        if item is None:
            return None
        answer = {"self": f"{self.api}/{kind}/{item.id}", "id": item.id, "name": item.name}
        if kind == "resolution":
            answer["description"] = item.description
        else:
            answer["iconUrl"] = f"{self.base}/images/icons/priorities/{item.name.lower()}.svg"
        return answer

    def _version(self, version: Any) -> dict[str, Any]:
        answer = {"self": f"{self.api}/version/{version.id}", "id": version.id, "description": "", "name": version.name, "archived": False, "released": version.released}
        if version.release_date:
            answer["releaseDate"] = version.release_date.isoformat()
        return answer

    # --- comments --------------------------------------------------------------------------------

    def comment(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "self": f"{self.api}/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": self.user(comment.author),
            "body": comment.body,
            "updateAuthor": self.user(comment.author),
            "created": self.time(comment.created),
            "updated": self.time(comment.updated),
        }
        if self.store.is_cloud:
            answer["jsdPublic"] = True
        return answer

    def comments(self, issue: Issue, start: int, size: int) -> dict[str, Any]:
        visible = [c for c in issue.comments if c.created <= self.now]
        page = visible[start : start + size]
        return {
            "comments": [self.comment(issue, c) for c in page],
            "self": f"{self.api}/issue/{issue.id}/comment",
            "maxResults": size,
            "total": len(visible),
            "startAt": start,
        }


def _value_of(issue: Issue, field_id: str) -> Callable[[], Any]:
    return lambda: issue.values.get(field_id)
