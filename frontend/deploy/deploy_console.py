"""Upload the built console to the stack's bucket and write its runtime configuration.

    python frontend/deploy/deploy_console.py --stack drs-orchestrator [--region us-east-1]

Reads the stack's outputs (ApiUrl, Console*), uploads frontend/dist (hashed assets cached for a year,
index.html and config.json never), writes config.json (the API URL and the Cognito ids: nothing of
it is built into the bundle) and invalidates index.html and config.json on CloudFront.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from pathlib import Path

import boto3

DIST = Path(__file__).resolve().parents[1] / "dist"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="drs-orchestrator")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)
    if not (DIST / "index.html").is_file():
        print("deploy_console: frontend/dist is not built (make console)", file=sys.stderr)
        return 1
    session = boto3.Session(region_name=args.region)
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    config = {
        "apiUrl": outputs["ApiUrl"],
        "auth": "cognito",
        "region": args.region,
        "userPoolId": outputs["ConsoleUserPoolId"],
        "userPoolClientId": outputs["ConsoleUserPoolClientId"],
        "identityPoolId": outputs["ConsoleIdentityPoolId"],
        "cognitoDomain": outputs["ConsoleCognitoDomain"],
        "apiViaOrigin": True,
    }
    s3 = session.client("s3")
    bucket = outputs["ConsoleBucketName"]
    for path in sorted(p for p in DIST.rglob("*") if p.is_file()):
        key = path.relative_to(DIST).as_posix()
        immutable = key.startswith("assets/")
        s3.upload_file(
            str(path),
            bucket,
            key,
            ExtraArgs={
                "ContentType": mimetypes.guess_type(key)[0] or "application/octet-stream",
                "CacheControl": "public, max-age=31536000, immutable" if immutable else "no-cache",
            },
        )
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(config, indent=2).encode(),
        ContentType="application/json",
        CacheControl="no-cache",
    )
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["ConsoleDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 2, "Items": ["/index.html", "/config.json"]},
            "CallerReference": str(time.time()),
        },
    )
    print(f"console deployed: {outputs['ConsoleUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
