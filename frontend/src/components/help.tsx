// The help panel (AppLayout tools) and the "Info" links that open it on a topic.
import Box from "@cloudscape-design/components/box";
import HelpPanel from "@cloudscape-design/components/help-panel";
import Link from "@cloudscape-design/components/link";
import { useShell } from "./shell";

interface Topic {
  header: string;
  paragraphs: string[];
}

export const HELP_TOPICS: Record<string, Topic> = {
  "protection-group": {
    header: "Protection groups",
    paragraphs: [
      "A protection group is a set of DRS source servers recovered together, chosen by id or by tags (every server carrying all the tags, resolved when an execution starts).",
      "A server marked optional may fail without failing its wave: the wave completes with a warning. Every other server is critical.",
      "A group used by a recovery plan cannot be deleted.",
    ],
  },
  "recovery-plan": {
    header: "Recovery plans",
    paragraphs: [
      "A recovery plan recovers its protection groups in ordered waves. A wave may pause before it starts, and run actions before and after its launch (SSM documents, Lambda functions, approvals).",
      "The wave timeout bounds a wave's launch; the pause timeout bounds how long a pause or an approval may wait; the recovery time objective is what the drill report judges.",
      "A drill launches drill instances and can be rehearsed at any time; a recovery launches production instances and asks for the plan's name to be typed.",
    ],
  },
  readiness: {
    header: "Readiness",
    paragraphs: [
      "Readiness says whether a recovery of the plan would work now. Any failed check makes the plan Not ready; otherwise any warning makes it At risk; otherwise it is Ready.",
      "The checks: every server is known to DRS and replicates continuously; replication lag is under the plan's limit (60 minutes unless set); each server has a recovery point under 24 hours old; launch settings (launch template, subnet, security groups) exist; DRS has room for the largest wave; no server is held by a running execution; the last drill completed within the recovery time objective; and the last successful drill is recent enough (90 days unless set).",
      "The drill trend compares the p50 and p95 of the recovery time over the last drills with the drills before them: Faster or Slower when the median moved by more than a tenth, else Steady.",
    ],
  },
  execution: {
    header: "Executions",
    paragraphs: [
      "An execution runs a plan's waves one after the other. Its status, each wave, each server and every event of its timeline are shown as the orchestrator records them.",
      "Pause takes effect before the next wave; Resume or Approve moves a paused execution on; a failed wave may be retried or skipped when the plan pauses on failure.",
      "Cancel and Terminate recovery instances are in the Actions menu: cancelling stops the waves not started; terminating ends every recovery instance the execution launched.",
      "Times are shown in UTC or in your browser's time zone, as chosen at the top of the page.",
    ],
  },
};

/** An "Info" link opening the help panel on `topic`. */
export function InfoLink({ topic }: { topic: keyof typeof HELP_TOPICS }) {
  const { openHelp } = useShell();
  return (
    <Link variant="info" onFollow={() => openHelp(topic)} ariaLabel={`Information about ${HELP_TOPICS[topic].header}`}>
      Info
    </Link>
  );
}

export function HelpContent({ topic }: { topic: string | null }) {
  const t = topic ? HELP_TOPICS[topic] : undefined;
  if (!t) {
    return (
      <HelpPanel header={<h2>DRS Orchestrator</h2>}>
        <Box variant="p">Choose an "Info" link on a page to read about it here.</Box>
      </HelpPanel>
    );
  }
  return (
    <HelpPanel header={<h2>{t.header}</h2>}>
      <div data-testid="help-panel">
        {t.paragraphs.map((p) => (
          <Box variant="p" key={p}>
            {p}
          </Box>
        ))}
      </div>
    </HelpPanel>
  );
}
