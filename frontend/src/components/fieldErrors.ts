import { useCallback, useState } from "react";
import { ApiError } from "../api/client";

/**
 * Where an API error belongs on a form: `error.details.field` names the request field
 * (`name`, `waves[1].waveName`, `options.waveTimeoutMinutes`, ...). The error is shown on that
 * field when the form has it, else above the form, always as a plain sentence (plainMessage).
 */
export interface FormErrors {
  fields: Record<string, string>;
  form: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, form: null };

export function normalizeField(field: string): string {
  return field.replace(/\.(\d+)(?=\.|$)/g, "[$1]").replace(/^body\.?/, "");
}

/** What a field holds, by its last name in the request ("waves[0].waveName" -> "waveName"). */
const THINGS: Record<string, { one: string; some: string }> = {
  name: { one: "a name", some: "names" },
  waveName: { one: "a wave name", some: "wave names" },
  description: { one: "a description", some: "descriptions" },
  sourceServerIds: { one: "a source server", some: "source servers" },
  protectionGroupIds: { one: "a protection group", some: "protection groups" },
  waves: { one: "a wave", some: "waves" },
  serverSelectionTags: { one: "a tag", some: "tags" },
  preActions: { one: "an action", some: "actions" },
  postActions: { one: "an action", some: "actions" },
  documentName: { one: "a document name", some: "document names" },
  functionName: { one: "a function name", some: "function names" },
  comment: { one: "a comment", some: "comments" },
};

function thing(field: string | null): { one: string; some: string } {
  const last = (field ?? "").replace(/\[\d+\]$/, "").split(/[.[\]]/).filter(Boolean).pop() ?? "";
  return THINGS[last] ?? { one: "a value", some: "values" };
}

/**
 * The API's validation message as a plain sentence: "invalid name: name must be longer than or
 * equal to 1 characters" -> "Enter a name". A message this does not know is kept, as a sentence.
 */
export function plainMessage(message: string, field: string | null = null): string {
  const said = message.replace(/^invalid [^:]+:\s*/, "");
  let text = said;
  if (field) {
    const raw = said.split(" ")[0];
    if (normalizeField(raw) === normalizeField(field)) text = said.slice(raw.length).trim();
  }
  const what = thing(field);
  const rules: [RegExp, (m: RegExpMatchArray) => string][] = [
    [/^must be longer than or equal to 1 characters?$/, () => `Enter ${what.one}`],
    [/^must be longer than or equal to (\d+) characters?$/, (m) => `Use at least ${m[1]} characters`],
    [/^must be shorter than or equal to (\d+) characters?$/, (m) => `Use at most ${m[1]} characters`],
    [/^must contain at least 1 items?$/, () => `Choose at least one ${what.one.replace(/^an? /, "")}`],
    [/^must contain at least (\d+) items?$/, (m) => `Choose at least ${m[1]} ${what.some}`],
    [/^must contain at most (\d+) items?$/, (m) => `Choose at most ${m[1]} ${what.some}`],
    [/^must be bigger than or equal to (-?\d+)$/, (m) => `Enter ${m[1]} or more`],
    [/^must be smaller than or equal to (-?\d+)$/, (m) => `Enter ${m[1]} or less`],
    [/^must be integer$/, () => "Enter a whole number"],
    [/^must be string$/, () => "Enter text"],
    [/^must be one of .*$/, () => "Choose one of the options offered"],
    [/^must match pattern \^s-.*$/, () => "Choose a DRS source server (an id like s-0123456789abcdef0)"],
    [/^must match pattern .*$/, () => `Enter ${what.one} with letters, digits, spaces and - _ . only`],
    [/^must not contain additional properties.*$/, () => "Remove the fields this form does not know"],
  ];
  for (const [pattern, say] of rules) {
    const m = text.match(pattern);
    if (m) return say(m);
  }
  // Unknown: the API's own words, the field named, as a sentence ("Name must not start with ...").
  const sentence = said || message;
  const first = sentence.split(" ")[0];
  const last = (field ?? "").split(/[.[\]]/).filter(Boolean).pop();
  if (first === last && /[A-Z]/.test(first)) return sentence; // a camelCase field keeps its spelling
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

export function formErrors(error: unknown, known: (field: string) => boolean): FormErrors {
  if (!(error instanceof ApiError)) {
    return { fields: {}, form: error instanceof Error ? error.message : String(error) };
  }
  const field = error.field ? normalizeField(error.field) : null;
  const message = plainMessage(error.message, field);
  if (field) {
    // The most specific field the form shows: "waves[0].waveName", else "waves[0]", else "waves".
    const parts = field.split(/(?=\[)|\./).filter(Boolean);
    for (let n = parts.length; n > 0; n--) {
      const candidate = parts.slice(0, n).join(".").replace(/\.\[/g, "[");
      if (known(candidate)) return { fields: { [candidate]: message }, form: null };
    }
  }
  return { fields: {}, form: message };
}

/** A form's errors; an edited field's error is cleared at once (`clear`). */
export function useFormErrors() {
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const clear = useCallback((...fields: string[]) => {
    setErrors((current) => {
      if (!fields.some((f) => f in current.fields)) return current;
      const rest = { ...current.fields };
      fields.forEach((f) => delete rest[f]);
      return { ...current, fields: rest };
    });
  }, []);
  const err = (field: string): string | undefined => errors.fields[field];
  return { errors, setErrors, clear, err };
}
