import { useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Multiselect from "@cloudscape-design/components/multiselect";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Textarea from "@cloudscape-design/components/textarea";
import type { PlanBody } from "../api/client";
import type { PlanAction, PlanOptions, PlanWave } from "../api/types";
import { EditorForm } from "../components/EditorForm";
import { formErrors, NO_ERRORS, useFormErrors } from "../components/fieldErrors";
import { useLoad } from "../components/hooks";
import { useBreadcrumbs, useNotify } from "../components/shell";
import { useApi } from "../session";
import { ActionList, fromDraft, isActionField, toDraft, type ActionDraft, type Stage } from "./ActionsEditor";
import { DrillScheduleEditor, fromScheduleDraft, SCHEDULE_FIELDS, toScheduleDraft } from "./DrillSchedule";

const READINESS = [
  { value: "", label: "Default (EC2 running)" },
  { value: "LAUNCHED", label: "DRS launched" },
  { value: "EC2_RUNNING", label: "EC2 running" },
  { value: "EC2_STATUS_OK", label: "EC2 status checks OK" },
];

const ON_WAVE_FAILURE = [
  { value: "", label: "Default (stop the execution)" },
  { value: "STOP", label: "Stop the execution" },
  { value: "PAUSE", label: "Pause: an operator retries, skips or cancels" },
];

const STAGES: Stage[] = ["preActions", "postActions"];

/** A wave as the editor holds it: the plan's wave (fields not shown are kept) with its actions as drafts. */
type WaveDraft = PlanWave & { drafts: Record<Stage, ActionDraft[]> };

function toWaveDraft(wave: PlanWave): WaveDraft {
  return {
    ...wave,
    pauseBeforeWave: Boolean(wave.pauseBeforeWave),
    drafts: { preActions: (wave.preActions ?? []).map(toDraft), postActions: (wave.postActions ?? []).map(toDraft) },
  };
}

function isKnownField(field: string, waves: WaveDraft[]): boolean {
  if (["name", "description", "waves", "options", "options.readinessCheck", "options.waveTimeoutMinutes", "options.pauseTimeoutMinutes", "options.rtoTargetMinutes", "options.drillCleanupAfterHours", "options.onWaveFailure", "options.drillNetwork", "options.drillNetwork.subnetIds", "options.drillNetwork.securityGroupIds", "protectionGroupIds"].includes(field))
    return true;
  if (SCHEDULE_FIELDS.includes(field)) return true;
  const m = /^waves\[(\d+)\](?:\.(waveName|protectionGroupIds|pauseBeforeWave))?$/.exec(field);
  if (m) return Number(m[1]) < waves.length;
  const a = /^waves\[(\d+)\]\.(preActions|postActions)(?:\[(\d+)\](?:\.(\w+))?)?$/.exec(field);
  const list = a ? waves[Number(a[1])]?.drafts[a[2] as Stage] : undefined;
  if (!a || !list) return false;
  if (a[3] === undefined) return true;
  const action = list[Number(a[3])];
  return Boolean(action && (a[4] === undefined || isActionField(a[4], action.type)));
}

/** Ids typed comma- or space-separated, without blanks. */
function splitIds(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((id) => id.trim())
    .filter(Boolean);
}

export function PlanEditorPage() {
  const { planId } = useParams();
  const editing = Boolean(planId);
  const api = useApi();
  const navigate = useNavigate();
  const notify = useNotify();
  const groups = useLoad(() => api.groups(), []);
  const existing = useLoad(() => (planId ? api.plan(planId) : Promise.resolve(null)), [planId]);
  useBreadcrumbs([
    { text: "Recovery plans", href: "#/recovery-plans" },
    { text: editing ? "Edit" : "Create", href: "#" },
  ]);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [waves, setWaves] = useState<WaveDraft[]>([toWaveDraft({ waveName: "Wave1", protectionGroupIds: [] })]);
  const [options, setOptions] = useState<{
    readinessCheck: string;
    waveTimeoutMinutes: string;
    pauseTimeoutMinutes: string;
    rtoTargetMinutes: string;
    drillCleanupAfterHours: string;
    onWaveFailure: string;
  }>({
    readinessCheck: "",
    waveTimeoutMinutes: "",
    pauseTimeoutMinutes: "",
    rtoTargetMinutes: "",
    drillCleanupAfterHours: "",
    onWaveFailure: "",
  });
  // The drill network: ids as typed, comma- or space-separated (the API says which one does not exist).
  const [drillNetwork, setDrillNetwork] = useState({ subnetIds: "", securityGroupIds: "" });
  const [schedule, setSchedule] = useState(toScheduleDraft());
  const { errors, setErrors, clear, err } = useFormErrors();
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    const p = existing.data;
    if (!p) return;
    setName(p.name);
    setDescription(p.description ?? "");
    setWaves(p.waves.map(toWaveDraft));
    setOptions({
      readinessCheck: p.options?.readinessCheck ?? "",
      waveTimeoutMinutes: p.options?.waveTimeoutMinutes ? String(p.options.waveTimeoutMinutes) : "",
      pauseTimeoutMinutes: p.options?.pauseTimeoutMinutes ? String(p.options.pauseTimeoutMinutes) : "",
      rtoTargetMinutes: p.options?.rtoTargetMinutes ? String(p.options.rtoTargetMinutes) : "",
      drillCleanupAfterHours: p.options?.drillCleanupAfterHours ? String(p.options.drillCleanupAfterHours) : "",
      onWaveFailure: p.options?.onWaveFailure ?? "",
    });
    setDrillNetwork({
      subnetIds: (p.options?.drillNetwork?.subnetIds ?? []).join(", "),
      securityGroupIds: (p.options?.drillNetwork?.securityGroupIds ?? []).join(", "),
    });
    setSchedule(toScheduleDraft(p.drillSchedule));
  }, [existing.data]);

  const groupOptions = (groups.data?.items ?? []).map((g) => ({ value: g.groupId, label: g.name }));
  const setWave = (i: number, change: Partial<WaveDraft>) => {
    setWaves(waves.map((w, j) => (j === i ? { ...w, ...change } : w)));
    clear(`waves[${i}]`, ...Object.keys(change).map((k) => `waves[${i}].${k}`));
  };
  const setOption = (change: Partial<typeof options>) => {
    setOptions({ ...options, ...change });
    clear(...Object.keys(change).map((k) => `options.${k}`));
  };
  const move = (i: number, by: number) => {
    const copy = [...waves];
    const [w] = copy.splice(i, 1);
    copy.splice(i + by, 0, w);
    setWaves(copy);
  };

  /** The request body, or the fields the browser already knows are wrong (a payload that is not JSON). */
  const body = (): { plan: PlanBody } | { fields: Record<string, string> } => {
    // Options this editor does not show (capacityWaitMinutes) are kept as the plan has them.
    const opts: PlanOptions = { ...(existing.data?.options ?? {}) };
    delete opts.readinessCheck;
    delete opts.waveTimeoutMinutes;
    delete opts.pauseTimeoutMinutes;
    delete opts.rtoTargetMinutes;
    delete opts.drillCleanupAfterHours;
    delete opts.onWaveFailure;
    delete opts.drillNetwork;
    const subnetIds = splitIds(drillNetwork.subnetIds);
    const securityGroupIds = splitIds(drillNetwork.securityGroupIds);
    if (subnetIds.length || securityGroupIds.length) opts.drillNetwork = { subnetIds, securityGroupIds };
    if (options.onWaveFailure) opts.onWaveFailure = options.onWaveFailure as PlanOptions["onWaveFailure"];
    if (options.readinessCheck) opts.readinessCheck = options.readinessCheck as PlanOptions["readinessCheck"];
    // Numbers as typed: the API says what is out of range, on the field.
    if (options.waveTimeoutMinutes) opts.waveTimeoutMinutes = Number(options.waveTimeoutMinutes);
    if (options.pauseTimeoutMinutes) opts.pauseTimeoutMinutes = Number(options.pauseTimeoutMinutes);
    if (options.rtoTargetMinutes) opts.rtoTargetMinutes = Number(options.rtoTargetMinutes);
    if (options.drillCleanupAfterHours) opts.drillCleanupAfterHours = Number(options.drillCleanupAfterHours);
    const fieldErrors: Record<string, string> = {};
    const planWaves = waves.map((draft, i) => {
      const { drafts, ...wave } = draft;
      const result: PlanWave = { ...wave };
      for (const stage of STAGES) {
        const actions: PlanAction[] = drafts[stage].map((d, j) => {
          const { action, errors } = fromDraft(d);
          for (const [field, message] of Object.entries(errors)) fieldErrors[`waves[${i}].${stage}[${j}].${field}`] = message;
          return action;
        });
        // A list the plan had is sent even when emptied, so that removing every action is saved.
        if (actions.length || wave[stage]) result[stage] = actions;
        else delete result[stage];
      }
      return result;
    });
    if (Object.keys(fieldErrors).length) return { fields: fieldErrors };
    const result: PlanBody = { name, waves: planWaves };
    if (description) result.description = description;
    if (Object.keys(opts).length) result.options = opts;
    const drillSchedule = fromScheduleDraft(schedule);
    if (drillSchedule) result.drillSchedule = drillSchedule;
    return { plan: result };
  };

  const save = async () => {
    setSaving(true);
    setErrors(NO_ERRORS);
    const request = body();
    if ("fields" in request) {
      setErrors({ fields: request.fields, form: null });
      setSaving(false);
      return;
    }
    try {
      const saved = planId ? await api.updatePlan(planId, request.plan) : await api.createPlan(request.plan);
      notify("success", `Recovery plan ${saved.name} ${editing ? "saved" : "created"}`, { path: `/recovery-plans/${saved.planId}` });
      navigate(`/recovery-plans/${saved.planId}`);
    } catch (e) {
      setErrors(formErrors(e, (f) => isKnownField(f, waves)));
    } finally {
      setSaving(false);
    }
  };

  if (editing && !existing.data && !existing.error) return <Spinner size="large" />;

  return (
    <EditorForm
      title={editing ? `Edit ${existing.data?.name ?? ""}` : "Create recovery plan"}
      helpTopic="recovery-plan"
      errorText={errors.form ?? existing.error?.message ?? err("protectionGroupIds")}
      cancelHref={planId ? `#/recovery-plans/${planId}` : "#/recovery-plans"}
      submitLabel={editing ? "Save" : "Create"}
      submitTestId="save-plan"
      saving={saving}
      onSubmit={() => void save()}
    >
        <SpaceBetween size="l">
          <Container header={<Header variant="h2">Details</Header>}>
            <SpaceBetween size="m">
              <FormField label="Name" errorText={err("name")} data-testid="field-plan-name">
                <Input value={name} onChange={({ detail }) => {
                    setName(detail.value);
                    clear("name");
                  }} data-testid="plan-name" />
              </FormField>
              <FormField label="Description" errorText={err("description")}>
                <Textarea value={description} onChange={({ detail }) => {
                    setDescription(detail.value);
                    clear("description");
                  }} rows={2} />
              </FormField>
            </SpaceBetween>
          </Container>
          <Container
            header={
              <Header
                variant="h2"
                description="Waves run in order; each starts when the one before it is COMPLETED"
                actions={
                  <Button
                    iconName="add-plus"
                    onClick={() =>
                      setWaves([...waves, toWaveDraft({ waveName: `Wave${waves.length + 1}`, protectionGroupIds: [] })])
                    }
                  >
                    Add wave
                  </Button>
                }
              >
                Waves
              </Header>
            }
          >
            <SpaceBetween size="l">
              {err("waves") && <FormField errorText={err("waves")} />}
              {waves.map((wave, i) => (
                <Container key={i} data-testid={`wave-editor-${i + 1}`} header={<Header variant="h3">Wave {i + 1}</Header>}>
                  <ColumnLayout columns={3}>
                    <FormField label="Name" errorText={err(`waves[${i}].waveName`) ?? err(`waves[${i}]`)}>
                      <Input value={wave.waveName} onChange={({ detail }) => setWave(i, { waveName: detail.value })} />
                    </FormField>
                    <FormField label="Protection groups" errorText={err(`waves[${i}].protectionGroupIds`)}>
                      <Multiselect
                        selectedOptions={groupOptions.filter((o) => wave.protectionGroupIds.includes(o.value))}
                        options={groupOptions}
                        onChange={({ detail }) =>
                          setWave(i, { protectionGroupIds: detail.selectedOptions.map((o) => o.value ?? "") })
                        }
                        placeholder="Choose protection groups"
                        statusType={groups.loading ? "loading" : "finished"}
                      />
                    </FormField>
                    <SpaceBetween size="xs">
                      <Checkbox checked={Boolean(wave.pauseBeforeWave)} onChange={({ detail }) => setWave(i, { pauseBeforeWave: detail.checked })}>
                        Pause before this wave
                      </Checkbox>
                      <SpaceBetween direction="horizontal" size="xs">
                        <Button iconName="angle-up" variant="icon" ariaLabel={`Move wave ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)} />
                        <Button iconName="angle-down" variant="icon" ariaLabel={`Move wave ${i + 1} down`} disabled={i === waves.length - 1} onClick={() => move(i, 1)} />
                        <Button iconName="remove" variant="icon" ariaLabel={`Remove wave ${i + 1}`} disabled={waves.length === 1} onClick={() => setWaves(waves.filter((_w, j) => j !== i))} />
                      </SpaceBetween>
                    </SpaceBetween>
                  </ColumnLayout>
                  {STAGES.map((stage) => (
                    <Box key={stage} margin={{ top: "l" }}>
                      <ActionList
                        waveIndex={i}
                        stage={stage}
                        drafts={wave.drafts[stage]}
                        err={err}
                        onChange={(list) => setWave(i, { drafts: { ...wave.drafts, [stage]: list } })}
                        clear={clear}
                        pauseTimeoutMinutes={Number(options.pauseTimeoutMinutes) || null}
                      />
                    </Box>
                  ))}
                </Container>
              ))}
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2">Options</Header>}>
            <ColumnLayout columns={3}>
              <FormField label="Readiness check" errorText={err("options.readinessCheck")} description="When is a server ready?">
                <Select
                  selectedOption={READINESS.find((o) => o.value === options.readinessCheck) ?? READINESS[0]}
                  options={READINESS}
                  onChange={({ detail }) => setOption({ readinessCheck: detail.selectedOption.value ?? "" })}
                />
              </FormField>
              <FormField label="Wave timeout (minutes)" errorText={err("options.waveTimeoutMinutes")} constraintText="1 to 1440; empty: the stack's default">
                <Input type="number" value={options.waveTimeoutMinutes} onChange={({ detail }) => setOption({ waveTimeoutMinutes: detail.value })} />
              </FormField>
              <FormField label="Pause timeout (minutes)" errorText={err("options.pauseTimeoutMinutes")} constraintText="1 to 10080; empty: 1440 (24 h). Also how long an approval waits by default">
                <Input type="number" value={options.pauseTimeoutMinutes} onChange={({ detail }) => setOption({ pauseTimeoutMinutes: detail.value })} />
              </FormField>
              <FormField
                label="When a wave fails"
                errorText={err("options.onWaveFailure")}
                description="Stop, or pause for an operator"
                data-testid="field-on-wave-failure"
              >
                <Select
                  selectedOption={ON_WAVE_FAILURE.find((o) => o.value === options.onWaveFailure) ?? ON_WAVE_FAILURE[0]}
                  options={ON_WAVE_FAILURE}
                  onChange={({ detail }) => setOption({ onWaveFailure: detail.selectedOption.value ?? "" })}
                  data-testid="plan-on-wave-failure"
                />
              </FormField>
              <FormField
                label="Recovery time objective (minutes)"
                errorText={err("options.rtoTargetMinutes")}
                constraintText="1 to 10080; each execution's recovery time is judged against it; empty: none"
                data-testid="field-rto-target"
              >
                <Input
                  type="number"
                  value={options.rtoTargetMinutes}
                  onChange={({ detail }) => setOption({ rtoTargetMinutes: detail.value })}
                  data-testid="plan-rto-target"
                />
              </FormField>
              <FormField
                label="Clean up drill instances after (hours)"
                errorText={err("options.drillCleanupAfterHours")}
                constraintText="1 to 168; a finished drill's recovery instances are terminated this long after it ended, with a warning an hour before; never a recovery's. Empty: never"
                data-testid="field-drill-cleanup"
              >
                <Input
                  type="number"
                  value={options.drillCleanupAfterHours}
                  onChange={({ detail }) => setOption({ drillCleanupAfterHours: detail.value })}
                  data-testid="plan-drill-cleanup"
                />
              </FormField>
            </ColumnLayout>
          </Container>
          <Container
            header={
              <Header
                variant="h2"
                description="A drill launches every server into this isolated network (the subnet in the server's Availability Zone, else the first) with these security groups and without copying private IPs; production launch settings are restored as soon as each server launched. A recovery never uses it. Empty: drills launch where a recovery would."
              >
                Drill network
              </Header>
            }
            data-testid="plan-drill-network"
          >
            <ColumnLayout columns={2}>
              <FormField
                label="Drill subnets"
                errorText={err("options.drillNetwork.subnetIds") ?? err("options.drillNetwork")}
                constraintText="subnet ids, comma-separated (e.g. the SubnetIds output of cfn/drill-network.yaml)"
                data-testid="field-drill-subnets"
              >
                <Input
                  value={drillNetwork.subnetIds}
                  onChange={({ detail }) => {
                    setDrillNetwork({ ...drillNetwork, subnetIds: detail.value });
                    clear("options.drillNetwork", "options.drillNetwork.subnetIds");
                  }}
                  placeholder="subnet-0abc..., subnet-0def..."
                  data-testid="plan-drill-subnets"
                />
              </FormField>
              <FormField
                label="Drill security groups"
                errorText={err("options.drillNetwork.securityGroupIds")}
                constraintText="security group ids of the drill network's VPC, comma-separated"
                data-testid="field-drill-security-groups"
              >
                <Input
                  value={drillNetwork.securityGroupIds}
                  onChange={({ detail }) => {
                    setDrillNetwork({ ...drillNetwork, securityGroupIds: detail.value });
                    clear("options.drillNetwork", "options.drillNetwork.securityGroupIds");
                  }}
                  placeholder="sg-0abc..."
                  data-testid="plan-drill-security-groups"
                />
              </FormField>
            </ColumnLayout>
          </Container>
          <DrillScheduleEditor draft={schedule} onChange={setSchedule} err={err} clear={clear} />
        </SpaceBetween>
    </EditorForm>
  );
}
