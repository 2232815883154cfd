// A protection group's launch settings: the editor's section (how every server of the group is
// launched, static IPs per server) and the group page's drift table (per server, each field changed
// by hand, with a button that applies the settings again).
import { useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import AttributeEditor from "@cloudscape-design/components/attribute-editor";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import Toggle from "@cloudscape-design/components/toggle";
import type { Api } from "../api/client";
import { applyLaunchSettings, driftValue, groupLaunchSettings, type LaunchSettings } from "../api/launch";
import type { SourceServer } from "../api/types";
import { useLoad } from "../components/hooks";

/** The editor's state of the launch settings (strings as typed; turned into the API's body by toBody). */
export interface LaunchForm {
  managed: boolean;
  instanceType: string;
  subnetId: string;
  securityGroupIds: string;
  copyPrivateIp: boolean;
  copyTags: boolean;
  osByol: boolean;
  launchDisposition: "STARTED" | "STOPPED";
  tags: { key: string; value: string }[];
  staticIps: { sourceServerId: string; privateIpAddress: string }[];
  // Override fields this form does not edit (an instance type per server, ...), kept as they were.
  otherOverrides: NonNullable<LaunchSettings["serverOverrides"]>;
}

export const EMPTY_LAUNCH: LaunchForm = {
  managed: false,
  instanceType: "",
  subnetId: "",
  securityGroupIds: "",
  copyPrivateIp: false,
  copyTags: true,
  osByol: false,
  launchDisposition: "STARTED",
  tags: [],
  staticIps: [],
  otherOverrides: {},
};

export function fromSettings(settings: LaunchSettings | undefined): LaunchForm {
  if (!settings) return EMPTY_LAUNCH;
  const overrides = settings.serverOverrides ?? {};
  const otherOverrides: LaunchForm["otherOverrides"] = {};
  for (const [sid, o] of Object.entries(overrides)) {
    const rest = { ...o };
    delete rest.privateIpAddress;
    if (Object.keys(rest).length) otherOverrides[sid] = rest;
  }
  return {
    managed: true,
    instanceType: settings.instanceType ?? "",
    subnetId: settings.subnetId ?? "",
    securityGroupIds: (settings.securityGroupIds ?? []).join(", "),
    copyPrivateIp: settings.copyPrivateIp ?? false,
    copyTags: settings.copyTags ?? true,
    osByol: settings.licensing?.osByol ?? false,
    launchDisposition: settings.launchDisposition ?? "STARTED",
    tags: Object.entries(settings.tags ?? {}).map(([key, value]) => ({ key, value })),
    staticIps: Object.entries(overrides)
      .filter(([, o]) => o.privateIpAddress)
      .map(([sourceServerId, o]) => ({ sourceServerId, privateIpAddress: o.privateIpAddress ?? "" })),
    otherOverrides,
  };
}

/** The API's launchSettings, or undefined when the group does not manage them. */
export function toBody(form: LaunchForm): LaunchSettings | undefined {
  if (!form.managed) return undefined;
  const body: LaunchSettings = {
    copyPrivateIp: form.copyPrivateIp,
    copyTags: form.copyTags,
    licensing: { osByol: form.osByol },
    launchDisposition: form.launchDisposition,
  };
  if (form.instanceType.trim()) body.instanceType = form.instanceType.trim();
  if (form.subnetId.trim()) body.subnetId = form.subnetId.trim();
  const groups = form.securityGroupIds
    .split(/[\s,]+/)
    .map((g) => g.trim())
    .filter(Boolean);
  if (groups.length) body.securityGroupIds = groups;
  const tags = form.tags.filter((t) => t.key.trim());
  if (tags.length) body.tags = Object.fromEntries(tags.map((t) => [t.key.trim(), t.value]));
  const overrides: NonNullable<LaunchSettings["serverOverrides"]> = { ...form.otherOverrides };
  for (const s of form.staticIps.filter((s) => s.sourceServerId && s.privateIpAddress.trim())) {
    overrides[s.sourceServerId] = { ...(overrides[s.sourceServerId] ?? {}), privateIpAddress: s.privateIpAddress.trim() };
  }
  if (Object.keys(overrides).length) body.serverOverrides = overrides;
  return body;
}

/** The editor's fields an API error may name (details.field), shown on the field. */
export const LAUNCH_FIELDS = [
  "launchSettings",
  "launchSettings.instanceType",
  "launchSettings.subnetId",
  "launchSettings.securityGroupIds",
  "launchSettings.serverOverrides",
];

export function LaunchSettingsEditor({
  form,
  onChange,
  members,
  err,
}: {
  form: LaunchForm;
  onChange: (form: LaunchForm) => void;
  members: SourceServer[];
  err: (field: string) => string | undefined;
}) {
  const set = (patch: Partial<LaunchForm>) => onChange({ ...form, ...patch });
  const serverOptions = members.map((m) => ({ value: m.sourceServerId, label: m.hostname ?? m.sourceServerId, description: m.sourceServerId }));
  return (
    <Container
      data-testid="launch-settings-editor"
      header={
        <Header
          variant="h2"
          description="Applied to every server's DRS launch settings and, as a new default version, its EC2 launch template when the group is saved"
        >
          Launch settings
        </Header>
      }
    >
      <SpaceBetween size="m">
        <Toggle checked={form.managed} onChange={({ detail }) => set({ managed: detail.checked })} data-testid="launch-managed">
          Manage the launch settings of this group's servers
        </Toggle>
        {form.managed && (
          <>
            <ColumnLayout columns={2}>
              <FormField
                label="Instance type"
                description="A type (m5.large) or RIGHT_SIZING to let DRS choose; empty leaves it as it is"
                errorText={err("launchSettings.instanceType") ?? err("launchSettings")}
              >
                <Input value={form.instanceType} onChange={({ detail }) => set({ instanceType: detail.value })} data-testid="launch-instance-type" />
              </FormField>
              <FormField label="Launch disposition">
                <Select
                  selectedOption={{ value: form.launchDisposition, label: form.launchDisposition }}
                  options={[
                    { value: "STARTED", label: "STARTED" },
                    { value: "STOPPED", label: "STOPPED" },
                  ]}
                  onChange={({ detail }) => set({ launchDisposition: (detail.selectedOption.value ?? "STARTED") as "STARTED" | "STOPPED" })}
                />
              </FormField>
              <FormField label="Subnet" description="subnet-..." errorText={err("launchSettings.subnetId")} data-testid="field-launch-subnet">
                <Input value={form.subnetId} onChange={({ detail }) => set({ subnetId: detail.value })} data-testid="launch-subnet" />
              </FormField>
              <FormField label="Security groups" description="sg-... separated by commas, in the subnet's VPC" errorText={err("launchSettings.securityGroupIds")}>
                <Input
                  value={form.securityGroupIds}
                  onChange={({ detail }) => set({ securityGroupIds: detail.value })}
                  data-testid="launch-security-groups"
                />
              </FormField>
            </ColumnLayout>
            <SpaceBetween size="xs" direction="horizontal">
              <Checkbox checked={form.copyPrivateIp} onChange={({ detail }) => set({ copyPrivateIp: detail.checked })}>
                Copy private IP
              </Checkbox>
              <Checkbox checked={form.copyTags} onChange={({ detail }) => set({ copyTags: detail.checked })}>
                Copy tags
              </Checkbox>
              <Checkbox checked={form.osByol} onChange={({ detail }) => set({ osByol: detail.checked })}>
                Bring your own OS licence
              </Checkbox>
            </SpaceBetween>
            <FormField label="Instance tags" description="Added to every recovery instance">
              <AttributeEditor
                items={form.tags}
                addButtonText="Add tag"
                removeButtonText="Remove"
                onAddButtonClick={() => set({ tags: [...form.tags, { key: "", value: "" }] })}
                onRemoveButtonClick={({ detail }) => set({ tags: form.tags.filter((_t, i) => i !== detail.itemIndex) })}
                definition={[
                  {
                    label: "Key",
                    control: (tag, i) => (
                      <Input value={tag.key} onChange={({ detail }) => set({ tags: form.tags.map((t, j) => (j === i ? { ...t, key: detail.value } : t)) })} />
                    ),
                  },
                  {
                    label: "Value",
                    control: (tag, i) => (
                      <Input
                        value={tag.value}
                        onChange={({ detail }) => set({ tags: form.tags.map((t, j) => (j === i ? { ...t, value: detail.value } : t)) })}
                      />
                    ),
                  },
                ]}
              />
            </FormField>
            <FormField
              label="Static private IPs"
              description="Per server: an address in the subnet (needs Copy private IP off)"
              errorText={err("launchSettings.serverOverrides")}
              data-testid="launch-static-ips"
            >
              <AttributeEditor
                items={form.staticIps}
                addButtonText="Add static IP"
                removeButtonText="Remove"
                onAddButtonClick={() => set({ staticIps: [...form.staticIps, { sourceServerId: "", privateIpAddress: "" }] })}
                onRemoveButtonClick={({ detail }) => set({ staticIps: form.staticIps.filter((_s, i) => i !== detail.itemIndex) })}
                definition={[
                  {
                    label: "Server",
                    control: (item, i) => (
                      <Select
                        selectedOption={serverOptions.find((o) => o.value === item.sourceServerId) ?? null}
                        options={serverOptions}
                        placeholder="Choose a server"
                        onChange={({ detail }) =>
                          set({
                            staticIps: form.staticIps.map((s, j) => (j === i ? { ...s, sourceServerId: detail.selectedOption.value ?? "" } : s)),
                          })
                        }
                      />
                    ),
                  },
                  {
                    label: "Private IP",
                    control: (item, i) => (
                      <Input
                        value={item.privateIpAddress}
                        onChange={({ detail }) =>
                          set({ staticIps: form.staticIps.map((s, j) => (j === i ? { ...s, privateIpAddress: detail.value } : s)) })
                        }
                      />
                    ),
                  },
                ]}
              />
            </FormField>
          </>
        )}
      </SpaceBetween>
    </Container>
  );
}

/** The group page's table: per server, the launch template's default version and each drifted field. */
export function LaunchDrift({ api, groupId, canApply }: { api: Api; groupId: string; canApply: boolean }) {
  const view = useLoad(() => groupLaunchSettings(api, groupId), [groupId]);
  const [applying, setApplying] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const apply = async () => {
    setApplying(true);
    setFailure(null);
    try {
      const done = await applyLaunchSettings(api, groupId);
      setOutcome(`${done.applied.length} changed, ${done.unchanged.length} already as set, ${done.failed.length} failed`);
      await view.reload();
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e));
    } finally {
      setApplying(false);
    }
  };
  if (view.data && !view.data.managed) return null;
  const items = view.data?.items ?? [];
  return (
    <SpaceBetween size="s">
      {view.error && <Alert type="error">{view.error.message}</Alert>}
      {failure && <Alert type="error">{failure}</Alert>}
      {outcome && (
        <Alert type="info" dismissible onDismiss={() => setOutcome(null)}>
          Launch settings applied: {outcome}
        </Alert>
      )}
      <Table
        data-testid="launch-drift"
        wrapLines
        items={items}
        loading={view.loading}
        loadingText="Reading the servers' launch settings"
        trackBy="sourceServerId"
        header={
          <Header
            variant="h2"
            counter={view.data ? `(${view.data.driftedServers} drifted)` : undefined}
            description="Each server's DRS launch settings and default launch template version against the group's"
            actions={
              canApply && (
                <Button onClick={() => void apply()} loading={applying} data-testid="apply-launch-settings">
                  Apply again
                </Button>
              )
            }
          >
            Launch settings
          </Header>
        }
        columnDefinitions={[
          { id: "server", header: "Server", cell: (s) => (s.hostname ? `${s.hostname} (${s.sourceServerId})` : s.sourceServerId) },
          { id: "version", header: "Template version", cell: (s) => (s.defaultVersion === null ? "-" : String(s.defaultVersion)) },
          {
            id: "drift",
            header: "Drift",
            cell: (s) =>
              s.error ? (
                <StatusIndicator type="error">{s.error.message}</StatusIndicator>
              ) : s.drift.length === 0 ? (
                <StatusIndicator type="success">As set</StatusIndicator>
              ) : (
                <SpaceBetween size="xxs">
                  {s.drift.map((d) => (
                    <StatusIndicator key={d.field} type="warning">
                      {`${d.field}: set ${driftValue(d.desired)}, found ${driftValue(d.actual)}`}
                    </StatusIndicator>
                  ))}
                </SpaceBetween>
              ),
          },
        ]}
        empty={<Box textAlign="center">No server to show.</Box>}
      />
    </SpaceBetween>
  );
}
