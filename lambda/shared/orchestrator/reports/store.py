"""Where reports are kept: the stack's reports bucket (versioned, encrypted, never public)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.aws.errors import translate


def report_key(plan_id: str, execution_id: str, extension: str) -> str:
    return f"reports/{plan_id}/{execution_id}/report.{extension}"


class S3Reports:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, plan_id: str, execution_id: str, *, json_body: str, html_body: str) -> str:
        for extension, body, content_type in (
            ("json", json_body, "application/json"),
            ("html", html_body, "text/html; charset=utf-8"),
        ):
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=report_key(plan_id, execution_id, extension),
                    Body=body.encode("utf-8"),
                    ContentType=content_type,
                    ServerSideEncryption="AES256",
                )
            except (ClientError, BotoCoreError) as e:
                raise translate(e, "S3", "PutObject") from e
        return f"s3://{self.bucket}/{report_key(plan_id, execution_id, 'html')}"


class MemoryReports:
    def __init__(self) -> None:
        self.objects: dict[str, str] = {}

    def put(self, plan_id: str, execution_id: str, *, json_body: str, html_body: str) -> str:
        self.objects[report_key(plan_id, execution_id, "json")] = json_body
        self.objects[report_key(plan_id, execution_id, "html")] = html_body
        return f"memory://{report_key(plan_id, execution_id, 'html')}"
