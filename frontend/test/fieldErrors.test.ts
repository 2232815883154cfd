import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api/client";
import { formErrors, normalizeField } from "../src/components/fieldErrors";
import { parseConfig } from "../src/config";

const known = (f: string) => ["name", "waves[1].waveName", "waves", "options.waveTimeoutMinutes"].includes(f);

describe("API validation errors on form fields", () => {
  it("puts the error on the field details.field names", () => {
    const error = new ApiError(422, "VALIDATION_ERROR", "invalid name", { field: "name" });
    expect(formErrors(error, known)).toEqual({ fields: { name: "Invalid name" }, form: null });
  });

  it("understands nested fields in both spellings", () => {
    expect(normalizeField("waves.1.waveName")).toBe("waves[1].waveName");
    const error = new ApiError(422, "VALIDATION_ERROR", "bad wave name", { field: "waves[1].waveName" });
    expect(formErrors(error, known).fields).toEqual({ "waves[1].waveName": "Bad wave name" });
  });

  it("falls back to the closest field the form shows", () => {
    const error = new ApiError(422, "VALIDATION_ERROR", "too many", { field: "waves[7].protectionGroupIds" });
    expect(formErrors(error, known).fields).toEqual({ waves: "Too many" });
  });

  it("shows errors naming no known field above the form", () => {
    const conflict = new ApiError(409, "NAME_ALREADY_EXISTS", "taken");
    expect(formErrors(conflict, known)).toEqual({ fields: {}, form: "Taken" });
  });
});

describe("runtime configuration", () => {
  it("reads the sandbox's", () => {
    expect(parseConfig({ apiUrl: "", auth: "none" })).toEqual({ apiUrl: "", auth: "none" });
  });

  it("reads a deployed one and names what is missing", () => {
    const deployed = {
      apiUrl: "https://abc.execute-api.us-east-1.amazonaws.com/prod/",
      auth: "cognito",
      region: "us-east-1",
      userPoolId: "us-east-1_x",
      userPoolClientId: "c",
      identityPoolId: "us-east-1:id",
      cognitoDomain: "https://d.auth.us-east-1.amazoncognito.com",
    };
    expect(parseConfig(deployed).apiUrl).toBe("https://abc.execute-api.us-east-1.amazonaws.com/prod");
    expect(() => parseConfig({ ...deployed, identityPoolId: undefined })).toThrow(/identityPoolId/);
  });
});
