import { describe, expect, it } from "vitest";
import { driftValue } from "../src/api/launch";
import { EMPTY_LAUNCH, fromSettings, toBody } from "../src/pages/LaunchSettings";

describe("the group editor's launch settings", () => {
  it("sends nothing when the group does not manage them", () => {
    expect(toBody(EMPTY_LAUNCH)).toBeUndefined();
  });

  it("round-trips a group's settings, static IPs and other overrides kept", () => {
    const settings = {
      instanceType: "m5.xlarge",
      subnetId: "subnet-0aaa1111",
      securityGroupIds: ["sg-0aaa1111", "sg-0bbb2222"],
      copyPrivateIp: false,
      copyTags: true,
      licensing: { osByol: false },
      launchDisposition: "STARTED" as const,
      tags: { Environment: "dr" },
      serverOverrides: {
        "s-0000000000000000a": { privateIpAddress: "10.0.1.50", instanceType: "r6i.large" },
        "s-0000000000000000b": { instanceType: "RIGHT_SIZING" },
      },
    };
    expect(toBody(fromSettings(settings))).toEqual(settings);
  });

  it("reads security groups typed with commas or spaces and drops empty tags", () => {
    const body = toBody({ ...EMPTY_LAUNCH, managed: true, securityGroupIds: "sg-0aaa1111, sg-0bbb2222  sg-0ccc3333", tags: [{ key: "", value: "x" }] });
    expect(body?.securityGroupIds).toEqual(["sg-0aaa1111", "sg-0bbb2222", "sg-0ccc3333"]);
    expect(body?.tags).toBeUndefined();
  });

  it("writes a drifted value as the page shows it", () => {
    expect([driftValue("t3.small"), driftValue(null), driftValue(false), driftValue(["sg-1"])]).toEqual(["t3.small", "(none)", "false", '["sg-1"]']);
  });
});
