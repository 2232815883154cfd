"""The one loader through which the sandbox and the tests build resources from ``template.yaml``.

Nothing here talks to AWS. cfn-lint's decoder parses the template (YAML with the CloudFormation
short-form tags, or JSON); this module resolves the few intrinsic functions the template uses with
local values and turns the resources the sandbox creates into what local stacks need: boto3
``create_table`` kwargs, the state machine definition with its substitutions applied, the
functions (SAM Globals merged) with their environment, and the functions' events.

The SAM template is read as written, not translated to CloudFormation: samtranslator refuses local
``CodeUri``/``DefinitionUri``/``ContentUri`` (it wants S3 URIs), renames layers, and turns API
events into an OpenAPI body, while the sandbox needs exactly those local paths and routes.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CfnTemplate",
    "FunctionSpec",
    "ResolveError",
    "Resolver",
    "api_routes",
    "dynamodb_table_kwargs",
    "dynamodb_ttl_attribute",
    "function_specs",
    "load_template",
    "parameter_defaults",
    "repo_root",
    "schedule_events",
    "schedule_inputs",
    "state_machine_definition",
    "state_machine_logical_ids",
    "stream_consumers",
    "table_logical_ids",
]

FUNCTION_TYPES = ("AWS::Serverless::Function",)
TABLE_TYPE = "AWS::DynamoDB::Table"
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
SAM_DEFAULT_TIMEOUT = 3
SAM_DEFAULT_MEMORY = 128
_PLACEHOLDER = re.compile(r"\$\{([^}!][^}]*)\}")


class ResolveError(ValueError):
    """An intrinsic function or a reference the resolver cannot evaluate locally."""


# --------------------------------------------------------------------------- loading


class CfnTemplate(dict[str, Any]):
    """A parsed template that remembers the file it came from (relative URIs are resolved
    against that file's folder)."""

    path: Path | None = None

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else repo_root()


def repo_root() -> Path:
    """The project root: ``$DRS_ORCHESTRATOR_ROOT`` or the folder two levels above ``src/``."""
    override = os.environ.get("DRS_ORCHESTRATOR_ROOT")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parents[2]


def _plain(value: Any) -> Any:
    """cfn-lint's nodes (dict, list and str subclasses carrying their marks) as plain values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


# Parsed templates by (file, modification time, size).
_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


def load_template(path: str | os.PathLike[str] | None = None) -> CfnTemplate:
    """Parse a CloudFormation/SAM template (YAML or JSON). Default: the repository's template.yaml.
    Short forms come back in their long form (``!GetAtt A.B`` is ``{"Fn::GetAtt": ["A", "B"]}``)."""
    from cfnlint.decode import decode_str  # here: importing cfn-lint takes about 0.5 s

    source = Path(path) if path is not None else repo_root() / "template.yaml"
    stat = source.stat()
    key = (str(source.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _PARSED:  # a process that starts many sandboxes (the tests) parses the file once
        template = CfnTemplate(copy.deepcopy(_PARSED[key]))
        template.path = source.resolve()
        return template
    data, problems = decode_str(source.read_text(encoding="utf-8"))
    if problems:
        first = problems[0]
        raise ValueError(f"{source}:{first.linenumber}: {first.message}")
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise ValueError(f"{source}: not a CloudFormation template (no Resources mapping)")
    plain = _plain(data)
    _PARSED[key] = copy.deepcopy(plain)
    template = CfnTemplate(plain)
    template.path = source.resolve()
    return template


def _base_dir(template: Mapping[str, Any]) -> Path:
    return template.base_dir if isinstance(template, CfnTemplate) else repo_root()


def _resources(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = template.get("Resources") or {}
    return resources


def _resource(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    try:
        return _resources(template)[logical_id]
    except KeyError:
        raise KeyError(f"template has no resource {logical_id!r}") from None


def _properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = _resource(template, logical_id).get("Properties") or {}
    return properties


def _of_type(template: Mapping[str, Any], *types: str) -> list[str]:
    return [name for name, res in _resources(template).items() if res.get("Type") in types]


def parameter_defaults(template: Mapping[str, Any]) -> dict[str, str]:
    """Every parameter's Default as CloudFormation passes it to ``Ref`` (a string)."""
    out: dict[str, str] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if isinstance(spec, dict) and "Default" in spec:
            default = spec["Default"]
            if isinstance(default, list):
                out[name] = ",".join(str(v) for v in default)
            elif isinstance(default, bool):
                out[name] = "true" if default else "false"
            else:
                out[name] = str(default)
    return out


# --------------------------------------------------------------------------- resolving


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


class Resolver:
    """Evaluates the intrinsic functions the template uses (Ref, GetAtt, Sub, If with its
    conditions: Equals, Not, Condition; Join, Split, Select) with local values. ``Ref`` of a
    ``CommaDelimitedList`` (or ``List<...>``) parameter is a list, as in CloudFormation.

    ``parameters`` override the template's defaults; ``physical_ids`` give what ``Ref`` of a
    resource returns (a table's name, a topic's ARN...); ``attributes`` give ``GetAtt`` values,
    keyed ``"Logical.Attribute"``. Anything not given gets a plausible value derived from the
    stack name, Region and account, so ARNs look like the deployed ones. Any other function
    raises :class:`ResolveError`.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str] | None = None,
        physical_ids: Mapping[str, str] | None = None,
        attributes: Mapping[str, str] | None = None,
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        stack_name: str = "drs-orchestrator",
        partition: str = "aws",
    ) -> None:
        self.template = template
        self.parameters = {**parameter_defaults(template), **(parameters or {})}
        self.physical_ids = dict(physical_ids or {})
        self.attributes = dict(attributes or {})
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self.partition = partition
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Condition": lambda name: self.condition(str(name)),
            "Fn::GetAtt": self._fn_get_att,
            "Fn::Sub": self._fn_sub,
            "Fn::If": self._fn_if,
            "Fn::Equals": lambda args: str(self.resolve(args[0])) == str(self.resolve(args[1])),
            "Fn::Not": lambda args: not self.resolve(args[0]),
            "Fn::Join": self._fn_join,
            "Fn::Split": self._fn_split,
            "Fn::Select": self._fn_select,
        }

    # -- pseudo parameters and references
    @property
    def pseudo_parameters(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": (
                f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:"
                f"stack/{self.stack_name}/00000000-0000-0000-0000-000000000000"
            ),
            "AWS::NotificationARNs": "",
        }

    def _arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account_id}:{resource}"

    def physical_id(self, logical_id: str) -> str:
        """What ``Ref`` of a resource returns."""
        if logical_id in self.physical_ids:
            return self.physical_ids[logical_id]
        rtype = _resource(self.template, logical_id).get("Type", "")
        props = _properties(self.template, logical_id)
        name = self._name(logical_id)
        if rtype == "AWS::SNS::Topic":
            return self._arn("sns", name)
        if rtype == "AWS::S3::Bucket":
            return name.lower()
        if rtype == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"
        if rtype in STATE_MACHINE_TYPES:
            return self._arn("states", f"stateMachine:{name}")
        if rtype in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            return self._arn("lambda", f"layer:{name}:1")
        if rtype in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            return re.sub(r"[^a-z0-9]", "", logical_id.lower())[:10] or "restapi"
        if rtype == "AWS::Logs::LogGroup" and "LogGroupName" in props:
            return str(self.resolve(props["LogGroupName"]))
        return name

    def _name(self, logical_id: str) -> str:
        """The resource's explicit name property, else ``<stack>-<logical id>``."""
        props = _properties(self.template, logical_id)
        for key in ("TableName", "FunctionName", "TopicName", "QueueName", "Name", "LayerName"):
            if key in props:
                value = self.resolve(props[key])
                if isinstance(value, str) and value:
                    return value
        return f"{self.stack_name}-{logical_id}"

    def get_att(self, logical_id: str, attribute: str) -> str:
        key = f"{logical_id}.{attribute}"
        if key in self.attributes:
            return self.attributes[key]
        rtype = _resource(self.template, logical_id).get("Type", "")
        name, ref = self._name(logical_id), self.physical_id(logical_id)
        values: dict[tuple[str, str], str] = {
            (TABLE_TYPE, "Arn"): self._arn("dynamodb", f"table/{ref}"),
            (TABLE_TYPE, "StreamArn"): self._arn("dynamodb", f"table/{ref}/stream/2024-01-01T00:00:00.000"),
            ("AWS::Serverless::Function", "Arn"): self._arn("lambda", f"function:{ref}"),
            ("AWS::SQS::Queue", "Arn"): self._arn("sqs", name),
            ("AWS::SQS::Queue", "QueueName"): name,
            ("AWS::SNS::Topic", "TopicArn"): ref,
            ("AWS::SNS::Topic", "TopicName"): name,
            ("AWS::Logs::LogGroup", "Arn"): self._arn("logs", f"log-group:{ref}:*"),
            ("AWS::IAM::Role", "Arn"): self._arn("iam", f"role/{name}", region=False),
            ("AWS::S3::Bucket", "Arn"): f"arn:{self.partition}:s3:::{ref}",
            ("AWS::S3::Bucket", "DomainName"): f"{ref}.s3.amazonaws.com",
            ("AWS::S3::Bucket", "RegionalDomainName"): f"{ref}.s3.{self.region}.amazonaws.com",
            # No CloudFront locally: a host of the reserved .invalid domain, never a real console.
            ("AWS::CloudFront::Distribution", "DomainName"): f"{name.lower()}.cloudfront.invalid",
        }
        for machine_type in STATE_MACHINE_TYPES:
            values[(machine_type, "Arn")], values[(machine_type, "Name")] = ref, name
        try:
            return values[(rtype, attribute)]
        except KeyError:
            raise ResolveError(
                f"cannot resolve GetAtt {key} ({rtype}) locally; pass it in attributes"
            ) from None

    def condition(self, name: str) -> bool:
        conditions = self.template.get("Conditions") or {}
        if name not in conditions:
            raise ResolveError(f"unknown condition {name!r}")
        return bool(self.resolve(conditions[name]))

    # -- the evaluator
    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function evaluated (``AWS::NoValue`` entries removed)."""
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), *_ = value.items()
            if key in ("Ref", "Condition") or key.startswith("Fn::"):
                if key not in self._functions:
                    raise ResolveError(f"{key} cannot be resolved locally")
                return self._functions[key](arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _ref(self, name: Any) -> Any:
        name = str(name)
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo_parameters:
            return self.pseudo_parameters[name]
        if name in self.parameters:
            value = self.parameters[name]
            kind = str(((self.template.get("Parameters") or {}).get(name) or {}).get("Type", ""))
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                return [item.strip() for item in str(value).split(",")] if value else []
            return value
        if name in (self.template.get("Parameters") or {}):
            raise ResolveError(f"parameter {name!r} has no default; pass a value")
        if name in _resources(self.template):
            return self.physical_id(name)
        raise ResolveError(f"Ref to unknown name {name!r}")

    def _fn_get_att(self, arg: Any) -> str:
        logical_id, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
        return self.get_att(str(self.resolve(logical_id)), str(self.resolve(attribute)))

    def _fn_sub(self, arg: Any) -> str:
        text, variables = (arg[0], self.resolve(arg[1] or {})) if isinstance(arg, list) else (arg, {})

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in variables:
                return str(variables[inner])
            if "." in inner and inner.split(".", 1)[0] in _resources(self.template):
                return self.get_att(*inner.split(".", 1))
            return str(self._ref(inner))

        return re.sub(r"\$\{([^}]+)\}", replace, str(text))

    def _fn_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(str(name)) else when_false)

    def _fn_join(self, arg: Any) -> str:
        delimiter, values = arg
        items = self.resolve(values)
        if not isinstance(items, list):
            raise ResolveError(f"Fn::Join needs a list of values, got {items!r}")
        return str(self.resolve(delimiter)).join(str(item) for item in items)

    def _fn_split(self, arg: Any) -> list[str]:
        delimiter, text = arg
        return str(self.resolve(text)).split(str(self.resolve(delimiter)))

    def _fn_select(self, arg: Any) -> Any:
        index, values = arg
        items = self.resolve(values)
        if not isinstance(items, list):
            raise ResolveError(f"Fn::Select needs a list of values, got {items!r}")
        return items[int(self.resolve(index))]


# --------------------------------------------------------------------------- DynamoDB

# What create_table takes of an index as CloudFormation declares it.
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


def table_logical_ids(template: Mapping[str, Any]) -> list[str]:
    """Every ``AWS::DynamoDB::Table`` of the template, in template order."""
    return _of_type(template, TABLE_TYPE)


def dynamodb_table_kwargs(template: Mapping[str, Any], logical_id: str, table_name: str) -> dict[str, Any]:
    """boto3 ``create_table`` arguments for a table of the template.

    Keys, attribute definitions, every global and local secondary index, billing mode (and the
    throughput a PROVISIONED table declares), stream and SSE. Deletion protection is left out on
    purpose (local stacks and tests delete their tables); point-in-time recovery and TTL are not
    ``create_table`` arguments (see :func:`dynamodb_ttl_attribute`).
    """
    if _resource(template, logical_id).get("Type") != TABLE_TYPE:
        raise ValueError(f"{logical_id} is a {_resource(template, logical_id).get('Type')}, not {TABLE_TYPE}")
    props: dict[str, Any] = Resolver(template).resolve(_properties(template, logical_id))
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
        **{k: props[k] for k in ("KeySchema", "AttributeDefinitions", "ProvisionedThroughput") if k in props},
    }
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(indexes):
            kwargs[indexes] = [{k: i[k] for k in _INDEX_KEYS if k in i} for i in props[indexes]]
    view_type = (props.get("StreamSpecification") or {}).get("StreamViewType")
    if view_type:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    sse = dict(props.get("SSESpecification") or {})
    if _truthy(sse.pop("SSEEnabled", False)):
        kwargs["SSESpecification"] = {"Enabled": True, **sse}
    return kwargs


def dynamodb_ttl_attribute(template: Mapping[str, Any], logical_id: str) -> str | None:
    """The table's enabled TTL attribute, if any (for ``update_time_to_live``)."""
    spec = _properties(template, logical_id).get("TimeToLiveSpecification") or {}
    return str(spec["AttributeName"]) if _truthy(spec.get("Enabled")) and spec.get("AttributeName") else None


# The queue properties CreateQueue takes as attributes (the others are tags, policies, ...).
SQS_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
)


def sqs_queue_attributes(template: Mapping[str, Any], logical_id: str) -> dict[str, str]:
    """The CreateQueue ``Attributes`` of a queue of the template (its retention, encryption, ...)."""
    props = _properties(template, logical_id)
    return {
        name: (str(props[name]).lower() if isinstance(props[name], bool) else str(props[name]))
        for name in SQS_ATTRIBUTES
        if name in props
    }


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


# --------------------------------------------------------------------------- state machines


def state_machine_logical_ids(template: Mapping[str, Any]) -> list[str]:
    return _of_type(template, *STATE_MACHINE_TYPES)


def state_machine_definition(
    template: Mapping[str, Any],
    logical_id: str,
    substitutions: Mapping[str, str],
    resolver: Resolver | None = None,
) -> str:
    """The state machine's ASL text with its ``DefinitionSubstitutions`` applied.

    ``substitutions`` give the value of each placeholder (e.g. ``{"ExecutionHandlerArn": arn}``);
    a placeholder not given is resolved from the template with ``resolver`` (default: a
    :class:`Resolver` with the template's defaults). A ``${...}`` left over that the template does
    not list raises ``ValueError``: CloudFormation would deploy it verbatim.
    """
    props = _properties(template, logical_id)
    if "Definition" in props:
        text = json.dumps(props["Definition"], indent=2)
    elif isinstance(props.get("DefinitionUri"), str):
        text = (_base_dir(template) / props["DefinitionUri"]).read_text(encoding="utf-8")
    elif isinstance(props.get("DefinitionString"), str):
        text = props["DefinitionString"]
    else:
        raise ValueError(f"{logical_id}: no local Definition, DefinitionUri or DefinitionString")
    declared: dict[str, Any] = props.get("DefinitionSubstitutions") or {}
    resolver = resolver or Resolver(template)
    values = dict(substitutions)
    for name, raw in declared.items():
        if name not in values:
            values[name] = str(resolver.resolve(raw))
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(text)} - set(declared))
    if unknown:
        raise ValueError(f"{logical_id}: placeholders not in DefinitionSubstitutions: {', '.join(unknown)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


# --------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class FunctionSpec:
    """A function of the template as a local runner needs it."""

    logical_id: str
    code_dir: Path
    handler: str
    layer_dirs: list[Path]
    environment: dict[str, str]
    timeout: int
    memory: int
    runtime: str = "python3.13"
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])


def _merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals rules: maps merge (local wins), lists concatenate (globals first),
    scalars and intrinsic functions: local wins."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if _is_intrinsic(global_value) or _is_intrinsic(local_value):
            return local_value
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = _merge_globals(merged[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


def _is_intrinsic(value: Mapping[str, Any]) -> bool:
    key = str(next(iter(value))) if len(value) == 1 else ""
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def function_specs(template: Mapping[str, Any], resolver: Resolver | None = None) -> list[FunctionSpec]:
    """Every ``AWS::Serverless::Function`` with Globals merged and intrinsics resolved.

    Works on the source template (``CodeUri: lambda/...``) and on the one ``sam build`` writes
    (``CodeUri: ExecutionHandlerFunction``): paths are relative to the template's folder. Layers
    given as ARNs (not resources of this template) have no local folder and are left out.
    """
    resolver = resolver or Resolver(template)
    base = _base_dir(template)
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    specs: list[FunctionSpec] = []
    for logical_id in _of_type(template, *FUNCTION_TYPES):
        props: dict[str, Any] = _merge_globals(globals_, _properties(template, logical_id))
        code_uri = props.get("CodeUri")
        if not isinstance(code_uri, str):
            raise ValueError(f"{logical_id}: CodeUri must be a local folder, got {code_uri!r}")
        env_vars = resolver.resolve((props.get("Environment") or {}).get("Variables") or {})
        specs.append(
            FunctionSpec(
                logical_id=logical_id,
                code_dir=(base / code_uri).resolve(),
                handler=str(props["Handler"]),
                layer_dirs=list(_layer_dirs(template, props.get("Layers") or [], base)),
                environment={str(k): _env_str(v) for k, v in env_vars.items()},
                timeout=int(resolver.resolve(props.get("Timeout", SAM_DEFAULT_TIMEOUT))),
                memory=int(resolver.resolve(props.get("MemorySize", SAM_DEFAULT_MEMORY))),
                runtime=str(props.get("Runtime", "")),
                architectures=[str(a) for a in props.get("Architectures") or ["x86_64"]],
            )
        )
    return specs


def _env_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _layer_dirs(template: Mapping[str, Any], layers: list[Any], base: Path) -> Iterator[Path]:
    for layer in layers:
        res = _resources(template).get(str(layer.get("Ref"))) if isinstance(layer, dict) else None
        uri = (res.get("Properties") or {}).get("ContentUri") if res else None
        if res and res.get("Type") == "AWS::Serverless::LayerVersion" and isinstance(uri, str):
            yield (base / uri).resolve()


# --------------------------------------------------------------------------- events


def _events(template: Mapping[str, Any], *types: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for logical_id in _of_type(template, *FUNCTION_TYPES):
        for name, event in (_properties(template, logical_id).get("Events") or {}).items():
            if event.get("Type") in types:
                yield logical_id, name, event.get("Properties") or {}


def stream_consumers(template: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(function logical id, table logical id, event properties)`` of each DynamoDB stream event."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for function_id, name, props in _events(template, "DynamoDB"):
        stream = props.get("Stream")
        target = (stream.get("Fn::GetAtt") or stream.get("Ref")) if isinstance(stream, dict) else None
        table_id = target.split(".")[0] if isinstance(target, str) else target[0] if target else None
        if not table_id:
            raise ValueError(f"{function_id}.{name}: Stream must reference a table of the template")
        out.append((function_id, str(table_id), props))
    return out


def schedule_events(template: Mapping[str, Any], resolver: Resolver | None = None) -> list[tuple[str, str]]:
    """``(function logical id, schedule expression)`` of each Schedule event that sends EventBridge's
    own scheduled event (no ``Input``)."""
    resolver = resolver or Resolver(template)
    out: list[tuple[str, str]] = []
    for function_id, _name, props in _events(template, "Schedule", "ScheduleV2"):
        expression = props.get("Schedule", props.get("ScheduleExpression"))
        if expression is not None and props.get("Input") is None:
            out.append((function_id, str(resolver.resolve(expression))))
    return out


def schedule_inputs(
    template: Mapping[str, Any], resolver: Resolver | None = None
) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Event name -> ``(function logical id, schedule expression, input)`` of each Schedule event
    with a constant ``Input`` (a JSON document: the event the function gets instead)."""
    resolver = resolver or Resolver(template)
    out: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for function_id, name, props in _events(template, "Schedule", "ScheduleV2"):
        expression = props.get("Schedule", props.get("ScheduleExpression"))
        if expression is not None and props.get("Input") is not None:
            document = json.loads(str(resolver.resolve(props["Input"])))
            out[name] = (function_id, str(resolver.resolve(expression)), document)
    return out


def api_routes(template: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(METHOD, path, authorizer)`` of each REST ``Api`` event; the authorizer is the event's
    own, else its API's DefaultAuthorizer (or the Globals one), else ``"NONE"``."""
    global_api = (template.get("Globals") or {}).get("Api") or {}
    global_auth = (global_api.get("Auth") or {}).get("DefaultAuthorizer")
    out: list[tuple[str, str, str]] = []
    for _function_id, _name, props in _events(template, "Api"):
        auth = (props.get("Auth") or {}).get("Authorizer")
        if auth is None:
            api_ref = props.get("RestApiId")
            api_id = api_ref.get("Ref") if isinstance(api_ref, dict) else None
            api_props = (_resources(template).get(str(api_id)) or {}).get("Properties") or {}
            auth = (api_props.get("Auth") or {}).get("DefaultAuthorizer", global_auth)
        out.append((str(props["Method"]).upper(), str(props["Path"]), str(auth or "NONE")))
    return out
