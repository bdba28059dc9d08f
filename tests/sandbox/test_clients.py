"""The real client libraries (jira, PyGithub, google-api-python-client + google-auth) over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import google.auth.exceptions
import pytest
import requests
from github import Auth, Github, GithubException
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from jira import JIRA, JIRAError

from sandbox.server import Sandbox
from sandbox.service_account import ServiceAccount

from .conftest import SCOPES

DONE_BUGS = "project = ONB AND type = Bug AND statusCategory = Done AND resolved >= 2026-10-01"


# --- Jira ------------------------------------------------------------------------------------------


def test_jira_cloud_search_reads_fields_by_name(jira: JIRA) -> None:
    issues = jira.search_issues(DONE_BUGS + " ORDER BY key", fields="key,status,Story Points,resolutiondate")
    assert [i.key for i in issues] == ["ONB-3", "ONB-4", "ONB-6"]
    first = issues[0]
    assert first.fields.status.name == "Done" and first.fields.status.statusCategory.key == "done"
    assert first.raw["fields"]["Story Points"] == 3  # the library maps the field name back
    assert first.fields.resolutiondate == "2026-10-07T16:00:00.000+0000"


def test_jira_cloud_pages_with_tokens_and_has_no_old_search(jira: JIRA, sandbox: Sandbox) -> None:
    page = jira.enhanced_search_issues("project = ONB", maxResults=2, fields="key", json_result=True)
    assert len(page["issues"]) == 2 and page["isLast"] is False and "total" not in page
    rest = jira.enhanced_search_issues("project = ONB", nextPageToken=page["nextPageToken"], maxResults=50, fields="key", json_result=True)
    assert rest["isLast"] is True and "nextPageToken" not in rest
    assert len(page["issues"]) + len(rest["issues"]) == 7  # ONB-8 is created after the clock's now
    answer = requests.get(f"{sandbox.jira_url}/rest/api/3/search", params={"jql": "project = ONB"}, auth=(sandbox.credentials.jira_email, sandbox.credentials.jira_token), timeout=5)
    assert answer.status_code == 410 and "search/jql" in answer.json()["errorMessages"][0]
    assert jira.approximate_issue_count("project = PLAT") == 2


def test_jira_comment_add_and_update(jira: JIRA, sandbox: Sandbox) -> None:
    comment = jira.add_comment("ONB-1", "okrsync: 12 / 40")
    assert comment.self.startswith(sandbox.jira_url) and comment.author.displayName == "OKR Bot"
    comment.update(body="okrsync: 13 / 40")  # PUT on `self`, then GET it again
    assert comment.body == "okrsync: 13 / 40"
    assert [c.body for c in jira.comments("ONB-1")] == ["okrsync: 13 / 40"]
    assert sandbox.counts("jira")["jira PUT /rest/api/{version}/issue/{key}/comment/{comment_id}"] == 1


def test_jira_numeric_field_edit_and_issue_property(jira: JIRA, sandbox: Sandbox) -> None:
    jira.issue("ONB-1").update(fields={"customfield_10016": 5}, notify=False)
    assert jira.issue("ONB-1").fields.customfield_10016 == 5
    with pytest.raises(JIRAError) as refused:
        jira.issue("ONB-1").update(fields={"customfield_10016": "five"})
    assert refused.value.status_code == 400 and "must be a number" in refused.value.text
    jira.add_issue_property("ONB-1", "okrsync", {"kr": "O1-KR1", "value": 12})
    assert jira.issue_property("ONB-1", "okrsync").value.kr == "O1-KR1"


def test_jira_unknown_issue_and_bad_credentials(jira: JIRA, sandbox: Sandbox) -> None:
    with pytest.raises(JIRAError) as missing:
        jira.issue("ONB-999")
    assert missing.value.status_code == 404
    assert "Issue does not exist" in missing.value.text
    with pytest.raises(JIRAError) as refused:
        JIRA(server=sandbox.jira_url, basic_auth=(sandbox.credentials.jira_email, "wrong"), max_retries=0).myself()
    assert refused.value.status_code == 401
    assert refused.value.response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"


def test_jira_data_center_search_has_a_total(sandbox: Sandbox) -> None:
    sandbox.load(jira_deployment="Server")
    server = JIRA(server=sandbox.jira_url, token_auth=sandbox.credentials.jira_pat, max_retries=0, timeout=5)
    assert server.server_info()["deploymentType"] == "Server"
    found = server.search_issues("project = ONB ORDER BY key", maxResults=2, fields="key")
    assert found.total == 7 and [i.key for i in found] == ["ONB-1", "ONB-2"]
    assert server.myself()["name"] == "okr-bot"
    assert "jira GET /rest/api/{version}/search" in sandbox.counts()


# --- GitHub ----------------------------------------------------------------------------------------


def test_pygithub_search_and_raw_total_count(github: Github, sandbox: Sandbox) -> None:
    merged = github.search_issues("repo:acme/app is:pr is:merged merged:>=2026-10-01")
    assert sorted(i.number for i in merged) == [1, 4]
    headers, data = github.requester.requestJsonAndCheck("GET", "/search/issues", parameters={"q": "repo:acme/app is:pr created:2026-10-01..2026-12-31", "per_page": 1})
    assert data["total_count"] == 4 and data["incomplete_results"] is False
    assert headers["x-ratelimit-resource"] == "search" and headers["x-ratelimit-limit"] == "30"
    assert f'{sandbox.github_url}/search/issues' in headers["link"] and 'rel="last"' in headers["link"]
    paged = github.search_issues("repo:acme/app is:pr created:2026-10-01..2026-12-31")
    assert paged.totalCount == 4 and len(list(paged)) == 4


def test_pygithub_issue_comment_create_and_edit(github: Github, sandbox: Sandbox) -> None:
    issue = github.get_repo("acme/okrs").get_issue(3)
    comment = issue.create_comment("okrsync: 40%")
    comment.edit("okrsync: 45%")
    assert comment.body == "okrsync: 45%" and comment.user.login == "okr-bot"
    assert [c.body for c in issue.get_comments()] == ["Tracking onboarding here.", "okrsync: 45%"]


def test_pygithub_milestones_and_enterprise_prefix(sandbox: Sandbox) -> None:
    enterprise = Github(base_url=f"{sandbox.github_url}/api/v3", auth=Auth.Token(sandbox.credentials.github_token), retry=None, seconds_between_requests=None)
    repo = enterprise.get_repo("acme/app")
    milestones = {m.title: (m.open_issues, m.closed_issues, m.state) for m in repo.get_milestones(state="all")}
    assert milestones == {"v3.0": (2, 2, "open"), "v2.9": (0, 1, "closed")}
    assert repo.url.startswith(f"{sandbox.github_url}/api/v3/")


def test_pygithub_not_found_bad_credentials_and_bad_qualifier(github: Github, sandbox: Sandbox) -> None:
    with pytest.raises(GithubException) as missing:
        github.get_repo("acme/nope")
    assert missing.value.status == 404 and missing.value.data["message"] == "Not Found"
    with pytest.raises(GithubException) as refused:
        Github(base_url=sandbox.github_url, auth=Auth.Token("wrong"), retry=None).get_repo("acme/app")
    assert refused.value.status == 401 and refused.value.data["message"] == "Bad credentials"
    with pytest.raises(GithubException) as invalid:
        github.requester.requestJsonAndCheck("GET", "/search/issues", parameters={"q": "repo:acme/app reactions:>5"})
    assert invalid.value.status == 422 and invalid.value.data["message"] == "Validation Failed"
    assert "reactions" in invalid.value.data["errors"][0]["message"]


# --- Google Sheets ---------------------------------------------------------------------------------


def test_sheets_batch_get_renders_like_google(sheets: Any) -> None:
    values = sheets.spreadsheets().values()
    answer = values.batchGet(
        spreadsheetId="1AbCdEf", ranges=["'Survey'!B2:B8", "'Team KPIs'!A1:D2", "ActivationRate", "'OKR Board'!B2:E4"],
        valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="SERIAL_NUMBER", majorDimension="ROWS",
    ).execute(num_retries=0)
    survey, kpis, named, empty = answer["valueRanges"]
    assert survey == {"range": "Survey!B2:B8", "majorDimension": "ROWS", "values": [["45%"], [41], ["1,234.50"], [0.031], [46327], [True], ["#N/A"]]}
    assert kpis["range"] == "'Team KPIs'!A1:D2" and kpis["values"][1] == [46300, 120, 54, 0.45]
    assert named["range"] == "Survey!B2" and named["values"] == [["45%"]]
    assert empty == {"range": "'OKR Board'!B2:E4", "majorDimension": "ROWS"}  # no `values` for an empty range
    shown = values.get(spreadsheetId="1AbCdEf", range="Survey!B5:B6").execute(num_retries=0)
    assert shown["values"] == [["3.1%"], ["2026-11-01"]]  # FORMATTED_VALUE by default


def test_sheets_batch_update_then_read_back(sheets: Any) -> None:
    body = {"valueInputOption": "USER_ENTERED", "data": [{"range": "'OKR Board'!B2:E2", "majorDimension": "ROWS", "values": [["12", "30%", "on_track", "2026-11-15"]]}]}
    answer = sheets.spreadsheets().values().batchUpdate(spreadsheetId="1AbCdEf", body=body).execute(num_retries=0)
    assert answer["totalUpdatedCells"] == 4 and answer["responses"][0]["updatedRange"] == "'OKR Board'!B2:E2"
    back = sheets.spreadsheets().values().get(spreadsheetId="1AbCdEf", range="'OKR Board'!A2:E2", valueRenderOption="UNFORMATTED_VALUE").execute(num_retries=0)
    assert back["values"] == [["O1-KR1", 12, 0.3, "on_track", 46341]]
    update = sheets.spreadsheets().values().update(spreadsheetId="1AbCdEf", range="'OKR Board'!B3", valueInputOption="RAW", body={"values": [["45%", 7]]}).execute(num_retries=0)
    assert update["updatedRange"] == "'OKR Board'!B3:C3"


def test_sheets_metadata_with_field_mask(sheets: Any) -> None:
    fields = "spreadsheetId,properties(title,locale,timeZone),sheets(properties(title,sheetId))"
    meta = sheets.spreadsheets().get(spreadsheetId="1AbCdEf", fields=fields).execute(num_retries=0)
    assert meta["properties"] == {"title": "OKR data", "locale": "en_US", "timeZone": "Etc/GMT"}
    assert [s["properties"]["title"] for s in meta["sheets"]] == ["Survey", "Team KPIs", "OKR Board"]
    assert set(meta["sheets"][0]["properties"]) == {"title", "sheetId"}


def test_sheets_errors_in_googles_shape(sheets: Any) -> None:
    values = sheets.spreadsheets().values()
    with pytest.raises(HttpError) as bad_range:
        values.batchGet(spreadsheetId="1AbCdEf", ranges=["'No such sheet'!A1"]).execute(num_retries=0)
    assert bad_range.value.resp.status == 400
    assert json.loads(bad_range.value.content)["error"] == {"code": 400, "message": "Unable to parse range: 'No such sheet'!A1", "status": "INVALID_ARGUMENT"}
    with pytest.raises(HttpError) as missing:
        values.get(spreadsheetId="nope", range="A1").execute(num_retries=0)
    assert missing.value.resp.status == 404 and json.loads(missing.value.content)["error"]["status"] == "NOT_FOUND"
    with pytest.raises(HttpError) as too_wide:
        values.update(spreadsheetId="1AbCdEf", range="'OKR Board'!B2:C2", valueInputOption="RAW", body={"values": [[1, 2, 3]]}).execute(num_retries=0)
    assert "tried writing to column [D]" in json.loads(too_wide.value.content)["error"]["message"]


def test_sheets_token_endpoint_checks_the_signature(sandbox: Sandbox, tmp_path: Any) -> None:
    impostor = ServiceAccount.create({"client_email": sandbox.state.account.client_email, "project_id": sandbox.state.account.project_id})
    key_file = impostor.write_file(tmp_path / "impostor.json", sandbox.token_uri)
    credentials = service_account.Credentials.from_service_account_file(str(key_file), scopes=SCOPES)
    service = build("sheets", "v4", credentials=credentials, client_options={"api_endpoint": sandbox.sheets_url}, cache_discovery=False)
    with pytest.raises(google.auth.exceptions.RefreshError) as refused:
        service.spreadsheets().get(spreadsheetId="1AbCdEf").execute(num_retries=0)
    assert "invalid_grant" in str(refused.value) and "Invalid JWT Signature." in str(refused.value)
    answer = requests.get(f"{sandbox.sheets_url}/v4/spreadsheets/1AbCdEf", headers={"Authorization": "Bearer made-up"}, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"]["status"] == "UNAUTHENTICATED"
