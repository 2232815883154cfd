"""The local stack: moto's server, the resources of template.yaml, the DRS simulator, and the
Lambda wiring (in-process handlers, the executions stream, the schedule) that AWS would provide.

Everything is built from template.yaml and the ASL file through drs_sandbox.cfn, so the sandbox
cannot drift from what is deployed. The handlers find every endpoint through the standard
AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DRS / AWS_ENDPOINT_URL_SSM variables set here.

The runbook's actions run against the sandbox too: custom action functions are created in moto's
Lambda and simulated as declared (drs_sandbox.actions), SSM commands and automations are answered
by the SSM simulator (drs_sandbox.ssm) on the DRS simulator's recovery instances; every one of them
is logged in `action_log`.
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import requests
from botocore.exceptions import ClientError
from moto.ec2.models import ec2_backends
from moto.events.models import EventsBackend
from moto.scheduler.models import scheduler_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from drs_sandbox import cfn, sfn_stop
from drs_sandbox.actions import ActionFunction, ActionFunctions, ActionLog, AutomationDocument
from drs_sandbox.console_users import ConsoleUsers
from drs_sandbox.drs import DrsLimits, DrsSimulator, create_drs_app
from drs_sandbox.ec2_boot import Ec2Boot
from drs_sandbox.faults import FaultRegistry, HandlerFaults
from drs_sandbox.lambda_runtime import InProcessLambda, load_handler
from drs_sandbox.moto_server import SandboxMotoServer
from drs_sandbox.pricing import create_pricing_app
from drs_sandbox.scheduler import SchedulerThread, ScheduleView, SimulatedScheduler, moto_schedules
from drs_sandbox.ssm import CommandTarget, SsmSimulator, create_ssm_app

logger = logging.getLogger(__name__)

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STACK_NAME = "drs-orchestrator"
# Template parameters suited to a laptop: the state machine's Wait really sleeps pollIntervalSeconds.
LOCAL_PARAMETERS = {"PollMinSeconds": "1", "PollMaxSeconds": "3", "LogLevel": "WARNING"}
STREAM_POLL_SECONDS = 0.2


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def serve_wsgi(app: Any, port: int = 0) -> tuple[BaseWSGIServer, threading.Thread]:
    """Serve a WSGI app on 127.0.0.1 in a daemon thread (port 0: a free port)."""
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"wsgi-{server.server_port}",
        daemon=True,
    )
    thread.start()
    return server, thread


@dataclass
class Capture:
    """SNS messages and EventBridge events published while the stack runs."""

    topic_arns: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def notifications(self) -> list[dict[str, Any]]:
        backend = sns_backends[ACCOUNT_ID][REGION]
        out = []
        for arn in self.topic_arns:
            topic = backend.topics.get(arn)
            for message_id, message, subject, attributes, _group in list(
                topic.sent_notifications if topic else []
            ):
                out.append(
                    {
                        "messageId": message_id,
                        "topicArn": arn,
                        "subject": subject,
                        "message": message,
                        "attributes": {
                            k: v.get("StringValue", v.get("Value")) if isinstance(v, dict) else v
                            for k, v in (attributes or {}).items()
                        },
                    }
                )
        return out

    def record_events(self, entries: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC).isoformat()
        with self.lock:
            for entry in entries:
                detail = entry.get("Detail")
                try:
                    parsed = json.loads(detail) if isinstance(detail, str) else detail
                except ValueError:
                    parsed = detail
                self.events.append(
                    {
                        "source": entry.get("Source"),
                        "detailType": entry.get("DetailType"),
                        "detail": parsed,
                        "eventBusName": entry.get("EventBusName") or "default",
                        "time": now,
                    }
                )

    def all_events(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.events)


def _matches(pattern: Any, value: Any) -> bool:
    """EventBridge-style content filtering for the patterns the template uses (exact values)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_matches(p, value.get(k)) for k, p in pattern.items())
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


class StreamPoller(threading.Thread):
    """Delivers a table's DynamoDB stream to a function as Lambda's event source mapping does:
    batches of BatchSize, FilterCriteria, ReportBatchItemFailures (the batch is retried from the
    first failed record), MaximumRetryAttempts, then the batch is given up (kept in `dropped`) and,
    with an OnFailure destination, named there as Lambda does (shard and sequence range)."""

    def __init__(
        self,
        streams: Any,
        stream_arn: str,
        deliver: Callable[[dict[str, Any]], tuple[str, bool]],
        props: dict[str, Any],
        *,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
        function_arn: str = "",
    ) -> None:
        super().__init__(name="stream-poller", daemon=True)
        self.function_arn = function_arn
        self.streams = streams
        self.stream_arn = stream_arn
        self.deliver = deliver
        self.batch_size = int(props.get("BatchSize", 100))
        self.max_retries = int(props.get("MaximumRetryAttempts", -1))
        filters = ((props.get("FilterCriteria") or {}).get("Filters")) or []
        self.patterns = [json.loads(f["Pattern"]) for f in filters]
        self.stop_event = threading.Event()
        self.replay_requested = threading.Event()
        # DestinationConfig.OnFailure: told of each batch given up (Lambda's invocation record).
        self.on_failure = on_failure
        self.dropped: list[dict[str, Any]] = []
        self.delivered = 0

    def replay(self) -> None:
        """Deliver the whole stream again from its oldest record, as Lambda does after a retry or
        a redeployed event source mapping (the consumer must be idempotent)."""
        self.replay_requested.set()

    def _wanted(self, record: dict[str, Any]) -> bool:
        return not self.patterns or any(_matches(p, record) for p in self.patterns)

    def _iterators(self) -> list[tuple[str, str]]:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        return [
            (
                s["ShardId"],
                self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"],
            )
            for s in shards
        ]

    def _send(self, batch: list[dict[str, Any]], shard_id: str = "") -> None:
        attempts = 0
        while batch and not self.stop_event.is_set():
            result, errored = self.deliver({"Records": batch})
            failures = (
                []
                if errored
                else [f["itemIdentifier"] for f in (json.loads(result) or {}).get("batchItemFailures", [])]
            )
            if not errored and not failures:
                self.delivered += len(batch)
                return
            attempts += 1
            if 0 <= self.max_retries < attempts:
                self.dropped.extend(batch)
                logger.warning("stream records given up", extra={"count": len(batch)})
                if self.on_failure is not None:
                    self.on_failure(self.invocation_record(batch, attempts, shard_id))
                return
            if failures:
                first = next(
                    (i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failures), 0
                )
                self.delivered += first
                batch = batch[first:]
            self.stop_event.wait(0.1)

    def invocation_record(self, batch: list[dict[str, Any]], attempts: int, shard_id: str) -> dict[str, Any]:
        """What Lambda sends to a stream's on-failure destination: pointers, not the records."""
        arrivals = [r["dynamodb"].get("ApproximateCreationDateTime") for r in batch]

        def when(value: Any) -> str | None:
            if isinstance(value, datetime):
                return value.astimezone(UTC).isoformat()
            return datetime.fromtimestamp(float(value), UTC).isoformat() if value is not None else None

        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": when(arrivals[0]),
                "approximateArrivalOfLastRecord": when(arrivals[-1]),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }

    def run(self) -> None:
        iterators: list[tuple[str, str]] = []
        while not self.stop_event.is_set():
            try:
                if not iterators or self.replay_requested.is_set():
                    self.replay_requested.clear()
                    iterators = self._iterators()
                following: list[tuple[str, str]] = []
                for shard_id, iterator in iterators:
                    response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                    records = [
                        {**r, "eventSourceARN": self.stream_arn}
                        for r in response.get("Records", [])
                        if self._wanted(r)
                    ]
                    for start in range(0, len(records), self.batch_size):
                        self._send(records[start : start + self.batch_size], shard_id)
                    if response.get("NextShardIterator"):
                        following.append((shard_id, response["NextShardIterator"]))
                iterators = following
            except Exception:
                if self.stop_event.is_set():
                    return
                logger.exception("stream polling failed; retrying")
                iterators = []
            self.stop_event.wait(STREAM_POLL_SECONDS)


class Ticker(threading.Thread):
    """Calls `action` every `interval` seconds until stopped (the EventBridge schedule)."""

    def __init__(self, interval: float, action: Callable[[], Any], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.action = action
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            try:
                self.action()
            except Exception:
                logger.exception("scheduled call failed")


def _zip_stub() -> bytes:
    """moto needs a code package; the in-process runtime runs the real handler from the repo."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "# the sandbox runs lambda/<function>/index.py in-process\n")
    return buffer.getvalue()


class Stack:
    """Start with `start()`, stop with `stop()`; `Sandbox` (server.py) wraps it with the HTTP API."""

    def __init__(
        self,
        *,
        time_scale: float = 60.0,
        find_interval: float = 5.0,
        parameters: dict[str, str] | None = None,
        seed: int | None = None,
        ssm_documents: list[str] | None = None,
    ) -> None:
        self.time_scale = time_scale
        self.find_interval = find_interval
        self.parameters = {**LOCAL_PARAMETERS, **(parameters or {})}
        self.seed = seed
        self.template = cfn.load_template()
        if ssm_documents and "AllowedSsmAutomationDocuments" not in self.parameters:
            # The runbook may start these Automation documents too (those the scenarios declare), on
            # top of the template's default, as if the stack had been deployed with them allowed.
            default = cfn.parameter_defaults(self.template).get("AllowedSsmAutomationDocuments")
            if default is not None:
                allowed = [d for d in default.split(",") if d] + list(ssm_documents)
                self.parameters["AllowedSsmAutomationDocuments"] = ",".join(dict.fromkeys(allowed))
        self.resolver = cfn.Resolver(
            self.template, self.parameters, region=REGION, account_id=ACCOUNT_ID, stack_name=STACK_NAME
        )
        self.capture = Capture()
        self.runtime = InProcessLambda()
        # The runbook's actions: every invocation (GET /_sandbox/invocations), the custom functions.
        self.action_log = ActionLog()
        self.action_functions = ActionFunctions(self.action_log, time_scale=time_scale)
        # failOperations: faults in the handlers' own AWS calls (POST /_sandbox/faults).
        self.faults = FaultRegistry()
        self._faults_ctx: Any = None
        self.table_names: dict[str, str] = {}
        self.queue_urls: dict[str, str] = {}
        self.function_names: dict[str, str] = {}
        # The template's EventBridge Scheduler groups: logical id -> name (moto stores their schedules).
        self.schedule_groups: dict[str, str] = {}
        # EventBridge Scheduler's firing, simulated on the time scale (GET /_sandbox/schedules).
        self.scheduler = SimulatedScheduler(
            read=self._stored_schedules,
            invoke=self._invoke_schedule_target,
            delete=self._delete_schedule,
            time_scale=time_scale,
        )
        self.state_machine_arn = ""
        self.topic_arn = ""
        self._saved_env: dict[str, str | None] = {}
        self._moto: SandboxMotoServer | None = None
        self._drs_server: BaseWSGIServer | None = None
        self._ssm_server: BaseWSGIServer | None = None
        self._pricing_server: BaseWSGIServer | None = None
        self._threads: list[Any] = []
        self._runtime_ctx: Any = None
        self._sfn_stop_ctx: Any = None
        self._events_patch: Any = None
        self.sim: DrsSimulator
        self.ssm: SsmSimulator
        self.moto_endpoint = ""
        self.console_users: ConsoleUsers | None = None
        self.drs_endpoint = ""
        self.ssm_endpoint = ""
        self.pricing_endpoint = ""

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Stack:
        # moto's and werkzeug's per-request access lines would drown the sandbox's own output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto = SandboxMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        _, moto_port = self._moto.get_host_and_port()
        self.moto_endpoint = f"http://127.0.0.1:{moto_port}"
        self._set_env({"MOTO_PORT": str(moto_port)})
        requests.post(f"{self.moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
        requests.post(
            f"{self.moto_endpoint}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        ).raise_for_status()
        self._start_drs()
        self._start_ssm()
        self._start_pricing()
        self._set_env(
            {
                "AWS_ACCESS_KEY_ID": "sandbox",
                "AWS_SECRET_ACCESS_KEY": "sandbox",
                "AWS_SESSION_TOKEN": "sandbox",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": self.moto_endpoint,
                "AWS_ENDPOINT_URL_DRS": self.drs_endpoint,
                "AWS_ENDPOINT_URL_SSM": self.ssm_endpoint,
                # The fixed price list (drs_sandbox.pricing): moto has no Price List API.
                "AWS_ENDPOINT_URL_PRICING": self.pricing_endpoint,
                # The handlers' EMF metrics would be printed among the sandbox's own output.
                "POWERTOOLS_METRICS_DISABLED": "true",
                # No X-Ray daemon here (Tracer is off outside Lambda anyway; this says so).
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        self._reset_production_caches()
        # Before any handler creates its clients: each gets the failOperations hook.
        self._faults_ctx = HandlerFaults(self.faults).installed()
        self._faults_ctx.__enter__()
        self._create_resources()
        self._install_functions()
        self._start_background()
        return self

    def stop(self) -> None:
        self._stop_running_executions()
        for thread in self._threads:
            thread.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        if self._runtime_ctx is not None:
            self._runtime_ctx.__exit__(None, None, None)
            self._runtime_ctx = None
        if self._sfn_stop_ctx is not None:
            self._sfn_stop_ctx.__exit__(None, None, None)
            self._sfn_stop_ctx = None
        if self._faults_ctx is not None:
            self._faults_ctx.__exit__(None, None, None)
            self._faults_ctx = None
            self.faults.clear()
        if self._events_patch is not None:
            EventsBackend.put_events = self._events_patch  # type: ignore[method-assign]
            self._events_patch = None
        for server in (self._drs_server, self._ssm_server, self._pricing_server):
            if server is not None:
                server.shutdown()
                server.server_close()
        self._drs_server = self._ssm_server = self._pricing_server = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        self._reset_production_caches()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}

    def _stop_running_executions(self) -> None:
        """Executions still running would go on calling a stack that is gone: stop them first."""
        if self._moto is None or not self.state_machine_arn:
            return
        try:
            sfn = self.client("stepfunctions")
            pages = sfn.get_paginator("list_executions").paginate(
                stateMachineArn=self.state_machine_arn, statusFilter="RUNNING"
            )
            for page in pages:
                for execution in page["executions"]:
                    sfn.stop_execution(executionArn=execution["executionArn"], cause="the sandbox stopped")
        except Exception:
            logger.warning("could not stop the running executions", exc_info=True)

    # ------------------------------------------------------------------ clients
    def client(self, service: str) -> Any:
        endpoint = {"drs": self.drs_endpoint, "ssm": self.ssm_endpoint}.get(service, self.moto_endpoint)
        factory: Any = boto3.client
        return factory(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )

    # ------------------------------------------------------------------ pieces
    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    @staticmethod
    def _reset_production_caches() -> None:
        # The handlers cache their config and clients per process (cold start); a new stack is a
        # new "deployment", so they must read the environment again.
        from orchestrator import deps

        deps.reset()

    def _start_drs(self) -> None:
        ec2 = boto3.client(
            "ec2",
            endpoint_url=self.moto_endpoint,
            region_name=REGION,
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )
        limits = DrsLimits(
            max_servers_per_job=int(self.resolver.parameters.get("DrsMaxServersPerJob", 100)),
            max_concurrent_jobs=int(self.resolver.parameters.get("DrsMaxConcurrentJobs", 20)),
            max_servers_in_active_jobs=int(self.resolver.parameters.get("DrsMaxServersInActiveJobs", 500)),
        )
        rng = random.Random(self.seed) if self.seed is not None else None
        self.sim = DrsSimulator(
            ec2,
            time_scale=self.time_scale,
            limits=limits,
            account_id=ACCOUNT_ID,
            region=REGION,
            rng=rng,
            clock=time.time,
            # The EC2 instances behind recovery instances boot as the scenario says (ec2_boot.py).
            on_instance_launched=Ec2Boot(ACCOUNT_ID, REGION, clock=time.time),
            # Each server's launch template is made when it is added; launches follow its default version.
            launch_templates=True,
        )
        self._drs_server, _ = serve_wsgi(create_drs_app(self.sim))
        self.drs_endpoint = f"http://127.0.0.1:{self._drs_server.server_port}"

    def _start_ssm(self) -> None:
        self.ssm = SsmSimulator(
            self.command_target,
            clock=time.time,
            time_scale=self.time_scale,
            log=self.action_log,
            account_id=ACCOUNT_ID,
            region=REGION,
        )
        self._ssm_server, _ = serve_wsgi(create_ssm_app(self.ssm))
        self.ssm_endpoint = f"http://127.0.0.1:{self._ssm_server.server_port}"

    def _start_pricing(self) -> None:
        self._pricing_server, _ = serve_wsgi(create_pricing_app())
        self.pricing_endpoint = f"http://127.0.0.1:{self._pricing_server.server_port}"

    def command_target(self, instance_id: str) -> CommandTarget | None:
        """SSM's managed instances in the sandbox: the running EC2 instances the DRS simulator
        launched as recovery instances (and has not terminated), with their server's commandResult."""
        spec = self.sim.command_target(instance_id)
        if spec is None:
            return None
        try:
            state = ec2_backends[ACCOUNT_ID][REGION].get_instance(instance_id).state
        except Exception:  # moto: InvalidInstanceID.NotFound
            return None
        if state != "running":
            return None
        return CommandTarget(instance_id, spec.command_result, spec.hostname)

    # ------------------------------------------------------------------ the runbook's actions
    def register_functions(self, functions: list[ActionFunction]) -> None:
        """Create (or update) the custom action functions in moto's Lambda and simulate their
        invocations as declared. ValueError for a name of the stack's own functions."""
        own = set(self.function_names.values())
        taken = [f.name for f in functions if f.name in own]
        if taken:
            raise ValueError(f"{taken[0]} is one of the stack's own functions and cannot be simulated")
        lam = self.client("lambda")
        for function in functions:
            try:
                lam.create_function(
                    FunctionName=function.name,
                    Runtime="python3.13",
                    Role=self._role_arn,
                    Handler="index.handler",
                    Code={"ZipFile": _zip_stub()},
                    Timeout=function.timeout_seconds,
                    Description="a runbook action simulated by the sandbox",
                )
            except ClientError as e:
                if e.response["Error"]["Code"] != "ResourceConflictException":
                    raise
                lam.update_function_configuration(
                    FunctionName=function.name, Timeout=function.timeout_seconds
                )
        self.action_functions.register(functions)
        for function in functions:
            self.runtime.register_simulated(function.name, self._simulated(function.name))

    def _create_bucket(self, logical_id: str) -> None:
        """A versioned bucket, with the template's Object Lock (default retention) when it has one,
        so that the report writer meets a locked bucket as it does deployed."""
        s3, resolver = self.client("s3"), self.resolver
        bucket = resolver.physical_id(logical_id)
        props = resolver.resolve(self.template["Resources"][logical_id].get("Properties") or {})
        locked = str(props.get("ObjectLockEnabled", "")).lower() == "true"
        s3.create_bucket(Bucket=bucket, **({"ObjectLockEnabledForBucket": True} if locked else {}))
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        retention = ((props.get("ObjectLockConfiguration") or {}).get("Rule") or {}).get("DefaultRetention")
        if locked and retention:
            s3.put_object_lock_configuration(
                Bucket=bucket,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": retention["Mode"], "Days": int(retention["Days"])}},
                },
            )

    def _simulated(self, name: str) -> Callable[[Any], tuple[str, bool]]:
        def respond(event: Any) -> tuple[str, bool]:
            return self.action_functions.invoke(name, event)

        return respond

    def declare_automations(self, documents: list[AutomationDocument]) -> None:
        """How these SSM Automation documents' executions end (the others succeed after 2 s)."""
        self.ssm.declare_automations(documents)

    def _create_resources(self) -> None:
        template, resolver = self.template, self.resolver
        ddb = self.client("dynamodb")
        for logical_id in cfn.table_logical_ids(template):
            name = resolver.physical_id(logical_id)
            ddb.create_table(**cfn.dynamodb_table_kwargs(template, logical_id, name))
            ttl = cfn.dynamodb_ttl_attribute(template, logical_id)
            if ttl:
                ddb.update_time_to_live(
                    TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
                )
            self.table_names[logical_id] = name
        resources = template.get("Resources", {})
        sns, sqs = self.client("sns"), self.client("sqs")
        for logical_id, res in resources.items():
            if res.get("Type") == "AWS::SNS::Topic":
                arn = sns.create_topic(Name=resolver._name(logical_id))["TopicArn"]
                self.capture.topic_arns.append(arn)
                self.topic_arn = self.topic_arn or arn
            elif res.get("Type") == "AWS::SQS::Queue":
                url = sqs.create_queue(
                    QueueName=resolver._name(logical_id),
                    Attributes=cfn.sqs_queue_attributes(template, logical_id),
                )["QueueUrl"]
                # Ref of the queue is its URL: the one moto answers at, so the handlers reach it.
                resolver.physical_ids[logical_id] = url
                self.queue_urls[logical_id] = url
            elif res.get("Type") == "AWS::S3::Bucket":
                self._create_bucket(logical_id)
            elif res.get("Type") == "AWS::Scheduler::ScheduleGroup":
                name = resolver.physical_id(logical_id)
                self.client("scheduler").create_schedule_group(Name=name)
                self.schedule_groups[logical_id] = name
        # The console's user pool and groups: created before the functions, whose environment names
        # the pool's id (moto chooses it).
        self.console_users = ConsoleUsers(
            self.client("cognito-idp"), resolver, region=REGION, account_id=ACCOUNT_ID
        )
        self.console_users.create_from_template(template)
        role = self.client("iam").create_role(
            RoleName="sandbox-lambda",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        self._role_arn = role

    def _install_functions(self) -> None:
        lam = self.client("lambda")
        specs = cfn.function_specs(self.template, self.resolver)
        environment: dict[str, str] = {}
        for spec in specs:
            environment.update(spec.environment)
        self._set_env(environment)
        self._reset_production_caches()
        for spec in specs:
            name = self.resolver.physical_id(spec.logical_id)
            arn = lam.create_function(
                FunctionName=name,
                Runtime=spec.runtime or "python3.13",
                Role=self._role_arn,
                Handler=spec.handler,
                Code={"ZipFile": _zip_stub()},
                Timeout=spec.timeout,
                MemorySize=spec.memory,
                Environment={"Variables": spec.environment},
            )["FunctionArn"]
            self.runtime.register(name, arn, load_handler(spec), spec)
            self.function_names[spec.logical_id] = name
        self._runtime_ctx = self.runtime.installed()
        self._runtime_ctx.__enter__()
        self._sfn_stop_ctx = sfn_stop.installed()
        self._sfn_stop_ctx.__enter__()
        sfn = self.client("stepfunctions")
        for logical_id in cfn.state_machine_logical_ids(self.template):
            definition = cfn.state_machine_definition(self.template, logical_id, {}, self.resolver)
            self.state_machine_arn = sfn.create_state_machine(
                name=self.resolver._name(logical_id),
                definition=definition,
                roleArn=self._role_arn.replace("sandbox-lambda", "sandbox-states"),
                type="STANDARD",
            )["stateMachineArn"]
        # EventBridge: keep what the formatter puts, then let moto route it as usual.
        capture, original = self.capture, EventsBackend.put_events
        self._events_patch = original

        def put_events(backend: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            capture.record_events(events)
            return original(backend, events)

        EventsBackend.put_events = put_events  # type: ignore[method-assign,assignment]

    def _start_background(self) -> None:
        streams = self.client("dynamodbstreams")
        ddb = self.client("dynamodb")
        for function_id, table_id, props in cfn.stream_consumers(self.template):
            name = self.function_names[function_id]
            arn = ddb.describe_table(TableName=self.table_names[table_id])["Table"]["LatestStreamArn"]
            destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            poller = StreamPoller(
                streams,
                arn,
                self._deliverer(name),
                props,
                on_failure=self._on_failure_sender(destination) if destination else None,
                function_arn=self.resolver._arn("lambda", f"function:{name}"),
            )
            poller.start()
            self._threads.append(poller)
        scheduler = SchedulerThread(self.scheduler)
        scheduler.start()
        self._threads.append(scheduler)
        if self.find_interval > 0:
            ticker = Ticker(self.find_interval, self.run_schedule, "schedule")
            ticker.start()
            self._threads.append(ticker)

    def _on_failure_sender(self, destination: Any) -> Callable[[dict[str, Any]], None]:
        """Sends a stream's invocation records to its OnFailure destination (an SQS queue of the
        template), with the sandbox's own client, as Lambda does with the function's role."""
        target = destination.get("Fn::GetAtt") if isinstance(destination, dict) else None
        logical_id = (target.split(".")[0] if isinstance(target, str) else target[0]) if target else None
        if logical_id not in self.queue_urls:
            raise ValueError(
                f"OnFailure destination {destination!r}: only a queue of the template is simulated"
            )
        url, sqs = self.queue_urls[logical_id], self.client("sqs")

        def send(record: dict[str, Any]) -> None:
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))

        return send

    def dead_letters(self, logical_id: str = "NotificationDeadLetterQueue") -> list[dict[str, Any]]:
        """Every message in a queue of the stack, also those a reader holds invisible, read from
        moto's backend: looking does not hide them from a replay (as ReceiveMessage would)."""
        name = self.queue_urls[logical_id].rstrip("/").rsplit("/", 1)[-1]
        queue = sqs_backends[ACCOUNT_ID][REGION].queues.get(name)
        out = []
        for message in list(queue._messages if queue else []):
            try:
                body: Any = json.loads(message.body)
            except ValueError:
                body = message.body
            out.append(
                {
                    "messageId": message.id,
                    "body": body,
                    "visible": message.visible,
                    "receiveCount": message.approximate_receive_count,
                }
            )
        return out

    def _deliverer(self, function_name: str) -> Callable[[dict[str, Any]], tuple[str, bool]]:
        def deliver(event: dict[str, Any]) -> tuple[str, bool]:
            return self.runtime.invoke(function_name, event)

        return deliver

    # ------------------------------------------------------------------ EventBridge Scheduler
    def _stored_schedules(self) -> list[ScheduleView]:
        if self._moto is None or not self.schedule_groups:
            return []
        return moto_schedules(scheduler_backends[ACCOUNT_ID][REGION], self.schedule_groups.values())

    def _invoke_schedule_target(self, view: ScheduleView, document: Any) -> bool:
        """Scheduler's Lambda target: the in-process function its ARN names, given the Input."""
        function_name = view.target_arn.split(":")[6] if view.target_arn.count(":") >= 6 else ""
        if not self.runtime.answers(function_name):
            logger.warning("a schedule targets an unknown function", extra={"target": view.target_arn})
            return True
        _body, errored = self.runtime.invoke(function_name, document)
        return errored

    def _delete_schedule(self, view: ScheduleView) -> None:
        try:
            scheduler_backends[ACCOUNT_ID][REGION].delete_schedule(view.group, view.name)
        except Exception:
            logger.info("a completed one-time schedule was already gone", extra={"schedule": view.name})

    # ------------------------------------------------------------------ the schedule
    def run_schedule(self) -> list[Any]:
        """Invoke each Schedule event's function once, with a real-shaped scheduled event."""
        results = []
        for function_id, _expression in cfn.schedule_events(self.template, self.resolver):
            event = {
                "version": "0",
                "id": f"sandbox-{time.time_ns()}",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": ACCOUNT_ID,
                "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": REGION,
                "resources": [
                    f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{STACK_NAME}-{function_id}-schedule"
                ],
                "detail": {},
            }
            body, errored = self.runtime.invoke(self.function_names[function_id], event)
            results.append(json.loads(body) if not errored else {"error": json.loads(body)})
        return results

    def run_scheduled_input(self, event_name: str) -> Any:
        """Invoke a Schedule event with a constant Input (e.g. ReadinessSchedule) once, as its
        rule does: its function gets the Input. KeyError when the template has no such event."""
        function_id, _expression, document = cfn.schedule_inputs(self.template, self.resolver)[event_name]
        body, errored = self.runtime.invoke(self.function_names[function_id], document)
        return {"error": json.loads(body)} if errored else json.loads(body)

    def stream_stats(self) -> dict[str, int]:
        pollers = [t for t in self._threads if isinstance(t, StreamPoller)]
        return {
            "delivered": sum(p.delivered for p in pollers),
            "dropped": sum(len(p.dropped) for p in pollers),
        }

    def replay_streams(self) -> None:
        for thread in self._threads:
            if isinstance(thread, StreamPoller):
                thread.replay()

    def replay_notifications(self) -> dict[str, Any]:
        """Invoke the notification-formatter as the README's replay does (Lambda Invoke of
        ``{"operation": "replay_notifications"}``): its answer, or its error payload."""
        body, errored = self.runtime.invoke(
            self.function_names["NotificationFormatterFunction"], {"operation": "replay_notifications"}
        )
        result = json.loads(body)
        return {"error": result} if errored else dict(result)

    def handler_name(self, logical_id: str = "ExecutionHandlerFunction") -> str:
        return self.function_names[logical_id]
