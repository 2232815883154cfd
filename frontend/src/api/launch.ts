// A protection group's launch settings (generated from docs/openapi.json): what the group wants of
// each server, what DRS and the default launch template version hold, the drift, and re-applying.
import type { Api } from "./client";
import type { components } from "./generated";

type Schemas = components["schemas"];
export type LaunchSettings = NonNullable<Schemas["ProtectionGroup"]["launchSettings"]>;
export type GroupLaunchSettings = Schemas["GroupLaunchSettings"];
export type LaunchSettingsServer = Schemas["LaunchSettingsServer"];
export type LaunchSettingsApplied = Schemas["LaunchSettingsApplied"];

const id = (value: string) => encodeURIComponent(value);

export const groupLaunchSettings = (api: Api, groupId: string) =>
  api.request<GroupLaunchSettings>("GET", `/protection-groups/${id(groupId)}/launch-settings`);

export const applyLaunchSettings = (api: Api, groupId: string) =>
  api.request<LaunchSettingsApplied>("POST", `/protection-groups/${id(groupId)}/launch-settings/apply`, {});

/** A drifted value as the page writes it: text as is, "(none)" for nothing, anything else as JSON. */
export function driftValue(value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}
