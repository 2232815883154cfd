import { describe, expect, it } from "vitest";
import { decodeJwt, viaOrigin } from "../src/api/auth";
import { capabilitiesOf, roleOf } from "../src/session";

describe("deployed sign-in helpers", () => {
  it("sends a request signed for the API's host to the same path on the console's origin", () => {
    expect(
      viaOrigin("https://abc.execute-api.us-east-1.amazonaws.com/prod/executions?status=PAUSED", "https://d1.cloudfront.net"),
    ).toBe("https://d1.cloudfront.net/prod/executions?status=PAUSED");
  });

  it("reads the Cognito groups from an ID token", () => {
    const payload = btoa(JSON.stringify({ email: "ops@example.com", "cognito:groups": ["Operators"] }));
    expect(decodeJwt(`h.${payload.replace(/=+$/, "")}.s`)["cognito:groups"]).toEqual(["Operators"]);
  });

  it("maps groups to what the console shows (the IAM roles enforce it)", () => {
    expect(roleOf(["Viewers", "Administrators"])).toBe("Administrators");
    expect(roleOf(["Operators"])).toBe("Operators");
    expect(roleOf([])).toBe("Viewers");
    expect(capabilitiesOf("Viewers")).toEqual({ operate: false, administer: false });
    expect(capabilitiesOf("Operators")).toEqual({ operate: true, administer: false });
    expect(capabilitiesOf("Administrators")).toEqual({ operate: true, administer: true });
  });
});
