"""Shapes of the hub's JSON responses, for the OpenAPI description (see notes/HUB_API.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str = Field(description="fieldkit version of the hub")
    generation: int = Field(description="current manifest generation")


class VersionEntry(BaseModel):
    version: int
    sha256: str
    size: int
    published_at: str = Field(description="UTC, like 2026-11-20T09:30:00Z")
    notes: str | None


class ManifestDocument(BaseModel):
    id: str = Field(description="stable id; survives content changes and renames")
    path: str = Field(description="POSIX path relative to the root")
    version: int
    sha256: str
    size: int
    modified: str = Field(description="when this version was published (UTC)")
    title: str | None
    tags: list[str]
    audience: list[str]
    released: str | None = Field(description="YYYY-MM-DD")
    expires: str | None = Field(description="YYYY-MM-DD")
    withdrawn: bool
    withdrawn_reason: str | None
    superseded_by: str | None = Field(description="id of the replacement document")
    notes: str | None = Field(description="notes of the current version")
    history: list[VersionEntry] = Field(description="earlier versions, newest first")


class Manifest(BaseModel):
    generation: int = Field(description="increases on every change the hub sees")
    generated_at: str
    documents: list[ManifestDocument]


class ErrorDetail(BaseModel):
    detail: str


class FileWanted(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1)


class FilesWanted(BaseModel):
    files: list[FileWanted] = Field(
        min_length=1, max_length=1000, description="document versions, answered in this order"
    )
