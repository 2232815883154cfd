// The product's version, as GET /health answers it (the deployed stack's, not the bundle's: one
// source, pyproject.toml, through the API). Shown at the foot of the navigation.
import { useEffect, useState } from "react";
import Box from "@cloudscape-design/components/box";
import type { components } from "../api/generated";
import { useApi } from "../session";

type Health = components["schemas"]["Health"];

export function VersionFooter() {
  const api = useApi();
  const [version, setVersion] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.request<Health>("GET", "/health").then(
      (health) => live && setVersion(health.version),
      () => live && setVersion(null),
    );
    return () => {
      live = false;
    };
  }, [api]);
  if (!version) return null;
  return (
    <Box padding={{ horizontal: "l", bottom: "m" }} fontSize="body-s" color="text-body-secondary" data-testid="version">
      DRS Orchestrator {version}
    </Box>
  );
}
