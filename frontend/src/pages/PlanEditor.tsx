import { useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Multiselect from "@cloudscape-design/components/multiselect";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Textarea from "@cloudscape-design/components/textarea";
import type { PlanBody } from "../api/client";
import type { PlanOptions, PlanWave } from "../api/types";
import { formErrors, NO_ERRORS, type FormErrors } from "../components/fieldErrors";
import { useLoad } from "../components/hooks";
import { useBreadcrumbs, useNotify } from "../components/shell";
import { useApi } from "../session";

const READINESS = [
  { value: "", label: "Default (EC2 running)" },
  { value: "LAUNCHED", label: "DRS launched" },
  { value: "EC2_RUNNING", label: "EC2 running" },
  { value: "EC2_STATUS_OK", label: "EC2 status checks OK" },
];

function isKnownField(field: string, waves: number): boolean {
  if (["name", "description", "waves", "options", "options.readinessCheck", "options.waveTimeoutMinutes", "options.pauseTimeoutMinutes", "options.rtoTargetMinutes", "protectionGroupIds"].includes(field))
    return true;
  const m = /^waves\[(\d+)\](?:\.(waveName|protectionGroupIds|pauseBeforeWave))?$/.exec(field);
  return Boolean(m && Number(m[1]) < waves);
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
  const [waves, setWaves] = useState<PlanWave[]>([{ waveName: "Wave1", protectionGroupIds: [], pauseBeforeWave: false }]);
  const [options, setOptions] = useState<{
    readinessCheck: string;
    waveTimeoutMinutes: string;
    pauseTimeoutMinutes: string;
    rtoTargetMinutes: string;
  }>({
    readinessCheck: "",
    waveTimeoutMinutes: "",
    pauseTimeoutMinutes: "",
    rtoTargetMinutes: "",
  });
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    const p = existing.data;
    if (!p) return;
    setName(p.name);
    setDescription(p.description ?? "");
    setWaves(p.waves.map((w) => ({ ...w, pauseBeforeWave: Boolean(w.pauseBeforeWave) })));
    setOptions({
      readinessCheck: p.options?.readinessCheck ?? "",
      waveTimeoutMinutes: p.options?.waveTimeoutMinutes ? String(p.options.waveTimeoutMinutes) : "",
      pauseTimeoutMinutes: p.options?.pauseTimeoutMinutes ? String(p.options.pauseTimeoutMinutes) : "",
      rtoTargetMinutes: p.options?.rtoTargetMinutes ? String(p.options.rtoTargetMinutes) : "",
    });
  }, [existing.data]);

  const groupOptions = (groups.data?.items ?? []).map((g) => ({ value: g.groupId, label: g.name }));
  const setWave = (i: number, change: Partial<PlanWave>) => setWaves(waves.map((w, j) => (j === i ? { ...w, ...change } : w)));
  const move = (i: number, by: number) => {
    const copy = [...waves];
    const [w] = copy.splice(i, 1);
    copy.splice(i + by, 0, w);
    setWaves(copy);
  };

  const body = (): PlanBody => {
    // Options this editor does not show (capacityWaitMinutes) are kept as the plan has them.
    const opts: PlanOptions = { ...(existing.data?.options ?? {}) };
    delete opts.readinessCheck;
    delete opts.waveTimeoutMinutes;
    delete opts.pauseTimeoutMinutes;
    delete opts.rtoTargetMinutes;
    if (options.readinessCheck) opts.readinessCheck = options.readinessCheck as PlanOptions["readinessCheck"];
    // Numbers as typed: the API says what is out of range, on the field.
    if (options.waveTimeoutMinutes) opts.waveTimeoutMinutes = Number(options.waveTimeoutMinutes);
    if (options.pauseTimeoutMinutes) opts.pauseTimeoutMinutes = Number(options.pauseTimeoutMinutes);
    if (options.rtoTargetMinutes) opts.rtoTargetMinutes = Number(options.rtoTargetMinutes);
    const result: PlanBody = { name, waves };
    if (description) result.description = description;
    if (Object.keys(opts).length) result.options = opts;
    return result;
  };

  const save = async () => {
    setSaving(true);
    setErrors(NO_ERRORS);
    try {
      const saved = planId ? await api.updatePlan(planId, body()) : await api.createPlan(body());
      notify("success", `Recovery plan ${saved.name} ${editing ? "saved" : "created"}`);
      navigate(`/recovery-plans/${saved.planId}`);
    } catch (e) {
      setErrors(formErrors(e, (f) => isKnownField(f, waves.length)));
    } finally {
      setSaving(false);
    }
  };

  if (editing && !existing.data && !existing.error) return <Spinner size="large" />;
  const err = (f: string) => errors.fields[f];

  return (
    <form onSubmit={(e) => e.preventDefault()}>
      <Form
        header={<Header variant="h1">{editing ? `Edit ${existing.data?.name ?? ""}` : "Create recovery plan"}</Header>}
        errorText={errors.form ?? existing.error?.message ?? err("protectionGroupIds")}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" href={planId ? `#/recovery-plans/${planId}` : "#/recovery-plans"}>
              Cancel
            </Button>
            <Button variant="primary" loading={saving} onClick={() => void save()} data-testid="save-plan">
              {editing ? "Save" : "Create"}
            </Button>
          </SpaceBetween>
        }
      >
        <SpaceBetween size="l">
          <Container header={<Header variant="h2">Details</Header>}>
            <SpaceBetween size="m">
              <FormField label="Name" errorText={err("name")} data-testid="field-plan-name">
                <Input value={name} onChange={({ detail }) => setName(detail.value)} data-testid="plan-name" />
              </FormField>
              <FormField label="Description" errorText={err("description")}>
                <Textarea value={description} onChange={({ detail }) => setDescription(detail.value)} rows={2} />
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
                      setWaves([...waves, { waveName: `Wave${waves.length + 1}`, protectionGroupIds: [], pauseBeforeWave: false }])
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
                </Container>
              ))}
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2">Options</Header>}>
            <ColumnLayout columns={4}>
              <FormField label="Readiness check" errorText={err("options.readinessCheck")} description="When is a server ready?">
                <Select
                  selectedOption={READINESS.find((o) => o.value === options.readinessCheck) ?? READINESS[0]}
                  options={READINESS}
                  onChange={({ detail }) => setOptions({ ...options, readinessCheck: detail.selectedOption.value ?? "" })}
                />
              </FormField>
              <FormField label="Wave timeout (minutes)" errorText={err("options.waveTimeoutMinutes")} constraintText="1 to 1440; empty: the stack's default">
                <Input type="number" value={options.waveTimeoutMinutes} onChange={({ detail }) => setOptions({ ...options, waveTimeoutMinutes: detail.value })} />
              </FormField>
              <FormField label="Pause timeout (minutes)" errorText={err("options.pauseTimeoutMinutes")} constraintText="1 to 10080; empty: the stack's default">
                <Input type="number" value={options.pauseTimeoutMinutes} onChange={({ detail }) => setOptions({ ...options, pauseTimeoutMinutes: detail.value })} />
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
                  onChange={({ detail }) => setOptions({ ...options, rtoTargetMinutes: detail.value })}
                  data-testid="plan-rto-target"
                />
              </FormField>
            </ColumnLayout>
          </Container>
        </SpaceBetween>
      </Form>
    </form>
  );
}
