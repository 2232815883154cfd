// The drill report. Once stored (an ended execution's), it opens from a short-lived presigned link
// the API gives (GET /executions/{id}/report-link), a URL that can be shared with someone who has
// access. Before that (a running execution), the report as it stands is fetched through the
// console's own fetch (SigV4-signed when deployed, plain in the sandbox) and handed to the browser
// as a Blob URL. The page carries its own Content-Security-Policy (no script runs in it).
import type { Api } from "../api/client";
import { reportLink } from "../api/pages";

/** How long a Blob URL stays valid: long enough for the tab to load it or the download to start. */
const BLOB_LIFETIME_MS = 60_000;

function blobUrl(text: string, type: string): string {
  const url = URL.createObjectURL(new Blob([text], { type }));
  window.setTimeout(() => URL.revokeObjectURL(url), BLOB_LIFETIME_MS);
  return url;
}

/**
 * Opens the HTML report in a new tab. The tab is opened at once, inside the click (so no pop-up
 * blocker stops it), cut off from the console (`opener = null`), and sent to the report when it
 * has arrived; on an error it is closed and the error is thrown. `stored`: the execution's report
 * is stored (reportLocation): the tab goes to its presigned link.
 */
export async function openReport(
  api: Api,
  executionId: string,
  win: Window = window,
  stored = false,
): Promise<void> {
  const tab = win.open("", "_blank");
  if (!tab) throw new Error("the browser blocked the new tab: allow pop-ups for the console");
  tab.opener = null;
  try {
    tab.document.title = "Loading the drill report";
    tab.document.body.textContent = "Loading the drill report…";
  } catch {
    // Not our document to write in (it should be: about:blank of the same origin); only cosmetic.
  }
  try {
    if (stored) {
      tab.location.href = (await reportLink(api, executionId)).url;
    } else {
      const html = await api.report(executionId, "html");
      tab.location.href = blobUrl(html, "text/html;charset=utf-8");
    }
  } catch (e) {
    tab.close();
    throw e;
  }
}

/** Saves the JSON report (docs/report.schema.json) as `drill-report-<executionId>.json`. */
export async function downloadReportJson(api: Api, executionId: string, doc: Document = document): Promise<void> {
  const json = await api.report(executionId, "json");
  const link = doc.createElement("a");
  link.href = blobUrl(json, "application/json");
  link.download = `drill-report-${executionId}.json`;
  link.style.display = "none";
  doc.body.appendChild(link);
  link.click();
  link.remove();
}
