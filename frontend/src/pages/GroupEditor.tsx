import { useEffect, useMemo, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { useCollection } from "@cloudscape-design/collection-hooks";
import AttributeEditor from "@cloudscape-design/components/attribute-editor";
import Box from "@cloudscape-design/components/box";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Multiselect from "@cloudscape-design/components/multiselect";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import TextFilter from "@cloudscape-design/components/text-filter";
import Textarea from "@cloudscape-design/components/textarea";
import Tiles from "@cloudscape-design/components/tiles";
import type { GroupBody } from "../api/client";
import type { SourceServer } from "../api/types";
import { EditorForm } from "../components/EditorForm";
import { LastDrilled, NeverDrilledToggle, neverDrilled } from "../components/LastDrilled";
import { LongText, ResourceTable, useTablePreferences, type Column } from "../components/ResourceTable";
import { formErrors, NO_ERRORS, useFormErrors } from "../components/fieldErrors";
import { useLoad } from "../components/hooks";
import { useBreadcrumbs, useNotify } from "../components/shell";
import { useApi } from "../session";
import { humanize } from "../status";
import { serverLabel } from "../api/pages";
import { EMPTY_LAUNCH, fromSettings, LAUNCH_FIELDS, LaunchSettingsEditor, toBody } from "./LaunchSettings";

interface Tag {
  key: string;
  value: string;
}

const FIELDS = ["name", "description", "region", "sourceServerIds", "serverSelectionTags", "serverImpactLevels", ...LAUNCH_FIELDS];

export function matchesTags(server: SourceServer, tags: Tag[]): boolean {
  const wanted = tags.filter((t) => t.key);
  return wanted.length > 0 && wanted.every((t) => server.tags?.[t.key] === t.value);
}

function tagText(tags: Record<string, string>): string {
  return Object.entries(tags ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

const PICKER_COLUMNS: Column<SourceServer>[] = [
  { id: "hostname", header: "Hostname", cell: (s) => s.hostname ?? "-", sortingField: "hostname", alwaysVisible: true, width: 200 },
  { id: "id", header: "Source server", cell: (s) => s.sourceServerId, width: 220 },
  {
    id: "replication",
    header: "Replication",
    width: 170,
    cell: (s) => (
      <StatusIndicator type={s.replicationState === "CONTINUOUS" ? "success" : "warning"}>
        {humanize(s.replicationState ?? "UNKNOWN")}
      </StatusIndicator>
    ),
  },
  { id: "tags", header: "Tags", cell: (s) => <LongText text={tagText(s.tags)} />, width: 300 },
  // No link to the drill here: following it would leave the form.
  { id: "drilled", header: "Last drilled", cell: (s) => <LastDrilled drill={s} loaded link={false} />, width: 330 },
];

function ServerPicker({
  servers,
  loading,
  selected,
  onChange,
  selectable,
}: {
  servers: SourceServer[];
  loading: boolean;
  selected: string[];
  onChange?: (ids: string[]) => void;
  selectable: boolean;
}) {
  const [neverDrilledOnly, setNeverDrilledOnly] = useState(false);
  const { items, collectionProps, filterProps, filteredItemsCount } = useCollection(
    neverDrilledOnly ? servers.filter((s) => neverDrilled(s)) : servers,
    {
      filtering: {
        empty: <Box textAlign="center">No DRS source servers in this Region.</Box>,
        noMatch: <Box textAlign="center">No server matches.</Box>,
        filteringFunction: (s, text) =>
          [s.sourceServerId, s.hostname ?? "", tagText(s.tags)].join(" ").toLowerCase().includes(text.toLowerCase()),
      },
      sorting: {},
    },
  );

  const [prefs, setPrefs] = useTablePreferences("server-picker", PICKER_COLUMNS);
  return (
    <ResourceTable<SourceServer>
      {...collectionProps}
      columns={PICKER_COLUMNS}
      prefs={prefs}
      onPrefsChange={setPrefs}
      data-testid="server-picker"
      variant="embedded"
      selectionType={selectable ? "multi" : undefined}
      selectedItems={servers.filter((s) => selected.includes(s.sourceServerId))}
      onSelectionChange={({ detail }) => onChange?.(detail.selectedItems.map((s) => s.sourceServerId))}
      trackBy="sourceServerId"
      items={items}
      loading={loading}
      loadingText="Loading DRS source servers"
      ariaLabels={{
        itemSelectionLabel: (_d, s) => `select ${s.hostname ?? s.sourceServerId}`,
        allItemsSelectionLabel: () => "select all",
        selectionGroupLabel: "servers",
      }}
      filter={
        <SpaceBetween direction="horizontal" size="l" alignItems="center">
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find by hostname, id or tag"
            countText={`${filteredItemsCount ?? 0} matches`}
          />
          <NeverDrilledToggle checked={neverDrilledOnly} onChange={setNeverDrilledOnly} />
        </SpaceBetween>
      }
    />
  );
}

export function GroupEditorPage() {
  const { groupId } = useParams();
  const editing = Boolean(groupId);
  const api = useApi();
  const navigate = useNavigate();
  const notify = useNotify();
  useBreadcrumbs([
    { text: "Protection groups", href: "#/protection-groups" },
    { text: editing ? "Edit" : "Create", href: "#" },
  ]);
  const servers = useLoad(() => api.sourceServers(), []);
  const existing = useLoad(() => (groupId ? api.group(groupId) : Promise.resolve(null)), [groupId]);

  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [mode, setMode] = useState<"ids" | "tags">("ids");
  const [serverIds, setServerIds] = useState<string[]>([]);
  const [tags, setTags] = useState<Tag[]>([{ key: "", value: "" }]);
  const [optional, setOptional] = useState<string[]>([]);
  const [launch, setLaunch] = useState(EMPTY_LAUNCH);
  const { errors, setErrors, clear, err } = useFormErrors();
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    const g = existing.data;
    if (!g) return;
    setName(g.name);
    setDescription(g.description ?? "");
    if (g.serverSelectionTags) {
      setMode("tags");
      setTags(Object.entries(g.serverSelectionTags).map(([key, value]) => ({ key, value })));
    } else {
      setMode("ids");
      setServerIds(g.sourceServerIds ?? []);
    }
    setOptional(
      Object.entries(g.serverImpactLevels ?? {})
        .filter(([, level]) => level === "OPTIONAL")
        .map(([id]) => id),
    );
    setLaunch(fromSettings(g.launchSettings));
  }, [existing.data]);

  const all = servers.data?.items ?? [];
  const members = useMemo(
    () =>
      mode === "ids"
        ? all.filter((s) => serverIds.includes(s.sourceServerId))
        : all.filter((s) => matchesTags(s, tags)),
    [all, mode, serverIds, tags],
  );

  const body = (): GroupBody => {
    const result: GroupBody = { name };
    if (description) result.description = description;
    if (mode === "ids") result.sourceServerIds = serverIds;
    else result.serverSelectionTags = Object.fromEntries(tags.filter((t) => t.key).map((t) => [t.key, t.value]));
    const levels = optional.filter((id) => members.some((m) => m.sourceServerId === id));
    if (levels.length) result.serverImpactLevels = Object.fromEntries(levels.map((id) => [id, "OPTIONAL" as const]));
    const launchSettings = toBody(launch);
    if (launchSettings) result.launchSettings = launchSettings;
    return result;
  };

  const save = async () => {
    setSaving(true);
    setErrors(NO_ERRORS);
    try {
      const saved = groupId ? await api.updateGroup(groupId, body()) : await api.createGroup(body());
      notify("success", `Protection group ${saved.name} ${editing ? "saved" : "created"}`, { path: "/protection-groups" });
      navigate("/protection-groups");
    } catch (e) {
      setErrors(formErrors(e, (f) => FIELDS.includes(f)));
    } finally {
      setSaving(false);
    }
  };

  if (editing && !existing.data && !existing.error) return <Spinner size="large" />;

  return (
    <EditorForm
      title={editing ? `Edit ${existing.data?.name ?? ""}` : "Create protection group"}
      helpTopic="protection-group"
      errorText={errors.form ?? existing.error?.message}
      cancelHref="#/protection-groups"
      submitLabel={editing ? "Save" : "Create"}
      submitTestId="save-group"
      saving={saving}
      onSubmit={() => void save()}
    >
        <SpaceBetween size="l">
          <Container header={<Header variant="h2">Details</Header>}>
            <SpaceBetween size="m">
              <FormField label="Name" errorText={err("name")} constraintText="Unique, case-insensitively." data-testid="field-name">
                <Input value={name} onChange={({ detail }) => {
                    setName(detail.value);
                    clear("name");
                  }} data-testid="group-name" />
              </FormField>
              <FormField label="Description" errorText={err("description")} data-testid="field-description">
                <Textarea value={description} onChange={({ detail }) => {
                    setDescription(detail.value);
                    clear("description");
                  }} rows={2} />
              </FormField>
              {err("region") && <FormField label="Region" errorText={err("region")} />}
            </SpaceBetween>
          </Container>
          <Container
            header={
              <Header variant="h2" description="A group selects servers by id or by tags, not both">
                Servers
              </Header>
            }
          >
            <SpaceBetween size="m">
              <Tiles
                value={mode}
                onChange={({ detail }) => {
                  setMode(detail.value as "ids" | "tags");
                  clear("sourceServerIds", "serverSelectionTags");
                }}
                items={[
                  { value: "ids", label: "Choose servers", description: "Pick DRS source servers by id" },
                  {
                    value: "tags",
                    label: "Select by tags",
                    description: "Every server carrying all these tags, resolved at each execution",
                  },
                ]}
              />
              {mode === "tags" && (
                <FormField label="Tags" errorText={err("serverSelectionTags")}>
                  <AttributeEditor
                    items={tags}
                    addButtonText="Add tag"
                    removeButtonText="Remove"
                    onAddButtonClick={() => setTags([...tags, { key: "", value: "" }])}
                    onRemoveButtonClick={({ detail }) => setTags(tags.filter((_t, i) => i !== detail.itemIndex))}
                    definition={[
                      {
                        label: "Key",
                        control: (tag, i) => (
                          <Input
                            value={tag.key}
                            onChange={({ detail }) => {
                              setTags(tags.map((t, j) => (j === i ? { ...t, key: detail.value } : t)));
                              clear("serverSelectionTags");
                            }}
                          />
                        ),
                      },
                      {
                        label: "Value",
                        control: (tag, i) => (
                          <Input
                            value={tag.value}
                            onChange={({ detail }) => {
                              setTags(tags.map((t, j) => (j === i ? { ...t, value: detail.value } : t)));
                              clear("serverSelectionTags");
                            }}
                          />
                        ),
                      },
                    ]}
                  />
                </FormField>
              )}
              <FormField
                label={mode === "ids" ? "Source servers" : `Servers these tags match now (${members.length})`}
                errorText={err("sourceServerIds")}
                stretch
              >
                <ServerPicker
                  servers={mode === "ids" ? all : members}
                  loading={servers.loading}
                  selected={serverIds}
                  onChange={(ids) => {
                    setServerIds(ids);
                    clear("sourceServerIds");
                  }}
                  selectable={mode === "ids"}
                />
              </FormField>
              <FormField
                label="Optional servers"
                description="A failed OPTIONAL server leaves its wave COMPLETED with a warning; the others are CRITICAL."
                errorText={err("serverImpactLevels")}
              >
                <Multiselect
                  selectedOptions={members
                    .filter((m) => optional.includes(m.sourceServerId))
                    .map((m) => ({ value: m.sourceServerId, label: serverLabel(m) }))}
                  options={members.map((m) => ({
                    value: m.sourceServerId,
                    label: m.hostname ?? m.sourceServerId,
                    description: m.sourceServerId,
                  }))}
                  onChange={({ detail }) => {
                    setOptional(detail.selectedOptions.map((o) => o.value ?? ""));
                    clear("serverImpactLevels");
                  }}
                  placeholder="All servers are CRITICAL"
                />
              </FormField>
            </SpaceBetween>
          </Container>
          <LaunchSettingsEditor
            form={launch}
            onChange={(next) => {
              setLaunch(next);
              clear(...LAUNCH_FIELDS);
            }}
            members={members}
            err={err}
          />
        </SpaceBetween>
    </EditorForm>
  );
}
