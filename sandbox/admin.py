"""Admin endpoints, served under /_admin on each of the three ports: request log and counts, faults,
the clock, cell edits and data reloads. Not logged, not faulted, no credentials needed."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, Field

from sandbox.data import DataError
from sandbox.faults import fault_from_dict
from sandbox.middleware import ADMIN_PREFIX
from sandbox.sheets_store import SheetsError
from sandbox.state import SandboxState


class Advance(BaseModel):
    days: float = 0
    hours: float = 0


class CellEdit(BaseModel):
    spreadsheet: str
    a1: str = Field(alias="range")
    values: list[list[Any]]
    input_option: str = Field("USER_ENTERED", alias="valueInputOption")


class RateLimit(BaseModel):
    resource: str
    limit: int


class Reset(BaseModel):
    data: dict[str, Any] | None = None
    jira_deployment: str | None = None


def add_admin_routes(app: FastAPI, state: SandboxState, service: str) -> None:
    """Register the admin endpoints on `app` (directly: the request log needs plain route templates)."""

    @app.get(ADMIN_PREFIX + "/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "service": service}

    @app.get(ADMIN_PREFIX + "/requests")
    def requests(service: str | None = None) -> dict[str, Any]:
        return {"total": state.log.total(service), "counts": state.log.counts(service), "requests": state.log.entries(service)}

    @app.post(ADMIN_PREFIX + "/reset-log", status_code=204)
    def reset_log() -> Response:
        state.log.reset()
        return Response(status_code=204)

    @app.get(ADMIN_PREFIX + "/faults")
    def faults() -> list[dict[str, Any]]:
        return [f.as_dict() for f in state.faults.all()]

    @app.post(ADMIN_PREFIX + "/faults", status_code=201)
    def add_fault(spec: dict[str, Any]) -> dict[str, Any]:
        try:
            return state.faults.add(fault_from_dict(spec)).as_dict()
        except (TypeError, ValueError) as error:
            raise HTTPException(400, str(error)) from None

    @app.delete(ADMIN_PREFIX + "/faults", status_code=204)
    def clear_faults() -> Response:
        state.faults.clear()
        return Response(status_code=204)

    @app.delete(ADMIN_PREFIX + "/faults/{fault_id}", status_code=204)
    def remove_fault(fault_id: int) -> Response:
        if not state.faults.remove(fault_id):
            raise HTTPException(404, f"no fault {fault_id}")
        return Response(status_code=204)

    @app.get(ADMIN_PREFIX + "/clock")
    def clock() -> dict[str, str]:
        return {"now": state.clock.now().isoformat()}

    @app.post(ADMIN_PREFIX + "/advance")
    def advance(body: Advance) -> dict[str, str]:
        try:
            return {"now": state.advance(body.days, body.hours).isoformat()}
        except ValueError as error:
            raise HTTPException(400, str(error)) from None

    @app.post(ADMIN_PREFIX + "/cells")
    def cells(edit: CellEdit) -> dict[str, Any]:
        try:
            return state.set_cells(edit.spreadsheet, edit.a1, edit.values, edit.input_option)
        except KeyError as error:
            raise HTTPException(404, str(error)) from None
        except (SheetsError, ValueError) as error:
            raise HTTPException(400, str(error)) from None

    @app.post(ADMIN_PREFIX + "/rate-limits")
    def rate_limits(body: RateLimit) -> dict[str, Any]:
        try:
            state.rate_limits.set_limit(body.resource, body.limit)
        except ValueError as error:
            raise HTTPException(400, str(error)) from None
        return body.model_dump()

    @app.post(ADMIN_PREFIX + "/reset")
    def reset(body: Reset | None = None) -> dict[str, str]:
        body = body or Reset()
        try:
            state.load(body.data, jira_deployment=body.jira_deployment)
        except DataError as error:
            raise HTTPException(400, str(error)) from None
        return {"now": state.clock.now().isoformat(), "jira_deployment": state.jira.deployment}
