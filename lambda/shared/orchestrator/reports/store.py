"""Where reports are kept: the stack's reports bucket (versioned, encrypted, never public)."""

from __future__ import annotations

from typing import Any

from orchestrator.aws.errors import translated


def report_key(plan_id: str, execution_id: str, extension: str) -> str:
    return f"reports/{plan_id}/{execution_id}/report.{extension}"


def key_of(location: str, scheme: str, bucket: str) -> str | None:
    """The object key of a report location (``s3://bucket/reports/...``) in ``bucket``; None when
    the location is elsewhere or not a report's."""
    prefix = f"{scheme}://{bucket}/" if bucket else f"{scheme}://"
    if not location.startswith(prefix):
        return None
    key = location[len(prefix) :]
    return key if key.startswith("reports/") and ".." not in key.split("/") else None


class S3Reports:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, plan_id: str, execution_id: str, *, json_body: str, html_body: str) -> str:
        for extension, body, content_type in (
            ("json", json_body, "application/json"),
            ("html", html_body, "text/html; charset=utf-8"),
        ):
            with translated("S3", "PutObject"):
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=report_key(plan_id, execution_id, extension),
                    Body=body.encode("utf-8"),
                    ContentType=content_type,
                    ServerSideEncryption="AES256",
                )
        return f"s3://{self.bucket}/{report_key(plan_id, execution_id, 'html')}"

    def link(self, location: str, *, expires_seconds: int) -> str | None:
        """A presigned GET of the report at ``location`` (this bucket's), valid ``expires_seconds``:
        signed with the function's own credentials, so it reads what the function may read and no
        more; None when the location is not a report of this bucket."""
        key = key_of(location, "s3", self.bucket)
        if key is None:
            return None
        with translated("S3", "GetObject"):
            url: str = self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=expires_seconds,
                HttpMethod="GET",
            )
        return url


class MemoryReports:
    def __init__(self) -> None:
        self.objects: dict[str, str] = {}

    def put(self, plan_id: str, execution_id: str, *, json_body: str, html_body: str) -> str:
        self.objects[report_key(plan_id, execution_id, "json")] = json_body
        self.objects[report_key(plan_id, execution_id, "html")] = html_body
        return f"memory://{report_key(plan_id, execution_id, 'html')}"

    def link(self, location: str, *, expires_seconds: int) -> str | None:
        key = key_of(location, "memory", "")
        if key is None or key not in self.objects:
            return None
        return f"memory://{key}?expires={expires_seconds}"
