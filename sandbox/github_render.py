"""GitHub's JSON shapes (REST API 2022-11-28): users, repositories, milestones, issues and pull
requests as the issues and search APIs return them, issue comments, the rate-limit document.

Shapes follow octokit's recorded fixtures and PyGithub's replay data (docs/sandbox.md lists which).
API URLs point at the sandbox, under /api/v3 when the request came that way (GitHub Enterprise)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from sandbox.github_store import Comment, Item, Milestone, Repo, User
from sandbox.rate_limit import Budget

NO_REACTIONS = {"total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0}


def github_time(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


class GitHubRenderer:
    def __init__(self, api: str, web: str, now: dt.datetime):
        self.api, self.web, self.now = api, web, now
        self._milestones: dict[int, dict[str, Any]] = {}  # one request renders each milestone once

    def user(self, user: User) -> dict[str, Any]:
        url = f"{self.api}/users/{user.login}"
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("User", user.id),
            "avatar_url": f"{self.web}/avatars/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": f"{self.web}/{user.login}",
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": "User",
            "user_view_type": "public",
            "site_admin": False,
        }

    def repo(self, repo: Repo) -> dict[str, Any]:
        url = f"{self.api}/repos/{repo.full_name}"
        templated = {
            "forks_url": "/forks", "keys_url": "/keys{/key_id}", "collaborators_url": "/collaborators{/collaborator}",
            "teams_url": "/teams", "hooks_url": "/hooks", "issue_events_url": "/issues/events{/number}",
            "events_url": "/events", "assignees_url": "/assignees{/user}", "branches_url": "/branches{/branch}",
            "tags_url": "/tags", "blobs_url": "/git/blobs{/sha}", "git_tags_url": "/git/tags{/sha}",
            "git_refs_url": "/git/refs{/sha}", "trees_url": "/git/trees{/sha}", "statuses_url": "/statuses/{sha}",
            "languages_url": "/languages", "stargazers_url": "/stargazers", "contributors_url": "/contributors",
            "subscribers_url": "/subscribers", "subscription_url": "/subscription", "commits_url": "/commits{/sha}",
            "git_commits_url": "/git/commits{/sha}", "comments_url": "/comments{/number}",
            "issue_comment_url": "/issues/comments{/number}", "contents_url": "/contents/{+path}",
            "compare_url": "/compare/{base}...{head}", "merges_url": "/merges", "archive_url": "/{archive_format}{/ref}",
            "downloads_url": "/downloads", "issues_url": "/issues{/number}", "pulls_url": "/pulls{/number}",
            "milestones_url": "/milestones{/number}", "notifications_url": "/notifications{?since,all,participating}",
            "labels_url": "/labels{/name}", "releases_url": "/releases{/id}", "deployments_url": "/deployments",
        }
        open_count = sum(1 for i in repo.visible(self.now) if i.closed(self.now) is None)
        web = f"{self.web}/{repo.full_name}"
        return {
            "id": repo.id, "node_id": node_id("Repository", repo.id), "name": repo.name, "full_name": repo.full_name,
            "private": False, "owner": self.user(repo.owner), "html_url": web, "description": repo.description or None,
            "fork": False, "url": url, **{key: url + suffix for key, suffix in templated.items()},
            "created_at": github_time(repo.created_at), "updated_at": github_time(self.now), "pushed_at": github_time(self.now),
            "git_url": f"git://{web.split('://', 1)[1]}.git", "ssh_url": f"git@{web.split('://', 1)[1].split('/', 1)[0]}:{repo.full_name}.git",
            "clone_url": f"{web}.git", "svn_url": web, "homepage": None, "size": 1024, "stargazers_count": 0,
            "watchers_count": 0, "language": "Python", "has_issues": True, "has_projects": True, "has_downloads": True,
            "has_wiki": False, "has_pages": False, "has_discussions": False, "forks_count": 0, "mirror_url": None,
            "archived": False, "disabled": False, "open_issues_count": open_count, "license": None, "allow_forking": True,
            "is_template": False, "web_commit_signoff_required": False, "topics": [], "visibility": "public",
            "forks": 0, "open_issues": open_count, "watchers": 0, "default_branch": "main",
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
            "network_count": 0, "subscribers_count": 1,
        }

    def label(self, repo: Repo, name: str) -> dict[str, Any]:
        number = sum(ord(ch) for ch in f"{repo.full_name}/{name}")
        return {
            "id": 5_000_000 + number, "node_id": node_id("Label", number), "url": f"{self.api}/repos/{repo.full_name}/labels/{name}",
            "name": name, "color": repo.labels.get(name, "ededed"), "default": name in ("bug", "enhancement", "documentation"), "description": None,
        }

    def milestone(self, repo: Repo, milestone: Milestone) -> dict[str, Any]:
        if milestone.id in self._milestones:
            return self._milestones[milestone.id]
        items = [i for i in repo.visible(self.now) if i.milestone is milestone]
        closed = sum(1 for i in items if i.closed(self.now) is not None)
        url = f"{self.api}/repos/{repo.full_name}/milestones/{milestone.number}"
        is_closed = milestone.is_closed(self.now)
        return self._milestones.setdefault(milestone.id, {
            "url": url, "html_url": f"{self.web}/{repo.full_name}/milestone/{milestone.number}", "labels_url": f"{url}/labels",
            "id": milestone.id, "node_id": node_id("Milestone", milestone.id), "number": milestone.number,
            "title": milestone.title, "description": milestone.description or None, "creator": self.user(milestone.creator),
            "open_issues": len(items) - closed, "closed_issues": closed, "state": "closed" if is_closed else "open",
            "created_at": github_time(milestone.created_at), "updated_at": github_time(max(milestone.created_at, *(i.updated(self.now) for i in items))),
            "due_on": github_time(milestone.due_on), "closed_at": github_time(milestone.closed_at if is_closed else None),
        })

    def item(self, item: Item, score: float | None = None) -> dict[str, Any]:
        """An issue or pull request as the issues and search APIs show it."""
        repo = item.repo
        url = f"{self.api}/repos/{repo.full_name}/issues/{item.number}"
        web = f"{self.web}/{repo.full_name}/{'pull' if item.is_pr else 'issues'}/{item.number}"
        closed = item.closed(self.now)
        answer: dict[str, Any] = {
            "url": url, "repository_url": f"{self.api}/repos/{repo.full_name}", "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments", "events_url": f"{url}/events", "html_url": web,
            "id": item.id, "node_id": node_id("PullRequest" if item.is_pr else "Issue", item.id), "number": item.number,
            "title": item.title, "user": self.user(item.user), "labels": [self.label(repo, name) for name in item.labels],
            "state": "closed" if closed else "open", "locked": False,
            "assignee": self.user(item.assignees[0]) if item.assignees else None,
            "assignees": [self.user(a) for a in item.assignees],
            "milestone": self.milestone(repo, item.milestone) if item.milestone else None,
            "comments": sum(1 for c in item.comments if c.created_at <= self.now),
            "created_at": github_time(item.created_at), "updated_at": github_time(item.updated(self.now)),
            "closed_at": github_time(closed), "author_association": "MEMBER", "type": None, "active_lock_reason": None,
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
            "issue_dependencies_summary": {"blocked_by": 0, "total_blocked_by": 0, "blocking": 0, "total_blocking": 0},
        }
        if item.is_pr:
            answer["draft"] = item.draft
            answer["pull_request"] = {
                "url": f"{self.api}/repos/{repo.full_name}/pulls/{item.number}", "html_url": web,
                "diff_url": f"{web}.diff", "patch_url": f"{web}.patch", "merged_at": github_time(item.merged(self.now)),
            }
        answer.update(
            {
                "body": item.body or None,
                "reactions": {"url": f"{url}/reactions", **NO_REACTIONS},
                "timeline_url": f"{url}/timeline",
                "performed_via_github_app": None,
                "state_reason": ("completed" if closed and not item.is_pr else None),
            }
        )
        if score is not None:
            answer["score"] = score
        return answer

    def comment(self, comment: Comment) -> dict[str, Any]:
        repo = comment.issue.repo
        url = f"{self.api}/repos/{repo.full_name}/issues/comments/{comment.id}"
        return {
            "url": url,
            "html_url": f"{self.web}/{repo.full_name}/issues/{comment.issue.number}#issuecomment-{comment.id}",
            "issue_url": f"{self.api}/repos/{repo.full_name}/issues/{comment.issue.number}",
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "user": self.user(comment.user),
            "created_at": github_time(comment.created_at),
            "updated_at": github_time(comment.updated_at),
            "author_association": "MEMBER",
            "body": comment.body,
            "reactions": {"url": f"{url}/reactions", **NO_REACTIONS},
            "performed_via_github_app": None,
        }

    @staticmethod
    def rate_limit(core: Budget, search: Budget) -> dict[str, Any]:
        static = {"limit": 5000, "used": 0, "remaining": 5000, "reset": core.reset}
        return {
            "resources": {
                "core": core.as_dict(), "search": search.as_dict(), "graphql": static,
                "integration_manifest": static, "code_search": {"limit": 10, "used": 0, "remaining": 10, "reset": search.reset},
            },
            "rate": core.as_dict(),
        }
