import { ApiError } from "../api/client";

/**
 * Where an API error belongs on a form: `error.details.field` names the request field
 * (`name`, `waves[1].waveName`, `options.waveTimeoutMinutes`, ...). The error is shown on that
 * field when the form has it, else above the form.
 */
export interface FormErrors {
  fields: Record<string, string>;
  form: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, form: null };

export function normalizeField(field: string): string {
  return field.replace(/\.(\d+)(?=\.|$)/g, "[$1]").replace(/^body\.?/, "");
}

export function formErrors(error: unknown, known: (field: string) => boolean): FormErrors {
  if (!(error instanceof ApiError)) {
    return { fields: {}, form: error instanceof Error ? error.message : String(error) };
  }
  const field = error.field ? normalizeField(error.field) : null;
  if (field) {
    // The most specific field the form shows: "waves[0].waveName", else "waves[0]", else "waves".
    const parts = field.split(/(?=\[)|\./).filter(Boolean);
    for (let n = parts.length; n > 0; n--) {
      const candidate = parts.slice(0, n).join(".").replace(/\.\[/g, "[");
      if (known(candidate)) return { fields: { [candidate]: error.message }, form: null };
    }
  }
  return { fields: {}, form: `${error.message} (${error.code})` };
}
