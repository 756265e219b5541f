import { REPORT_HEADER, scorecardRows } from "../../../../shared/experiment/report";
import { isoDay } from "../../../lib/format";
import type { OperatorOutputs } from "../console-data";
import { toCsv } from "../lib/csv";

export type ExperimentData = NonNullable<OperatorOutputs["experiment"]>;
export type ScorecardData = ExperimentData["scorecard"];
export type RollbackPreviewData = OperatorOutputs["previewRollback"];
export type RollbackAction = RollbackPreviewData["action"];

export const ROLLBACK_ORDER: Array<{ action: RollbackAction; label: string; verb: string }> = [
  { action: "grandfather_free", label: "Grandfather existing users on free terms for 30 days", verb: "Grandfather" },
  { action: "offer_opt_out", label: "Offer every customer the opt-out to Free", verb: "Send the offers" },
  { action: "pause_billing", label: "Pause billing", verb: "Pause billing" },
  { action: "refund_affected", label: "Refund affected invoices", verb: "Refund" },
];

export const STATE_LABEL: Record<ExperimentData["experiment"]["state"], string> = { scheduled: "Scheduled: editable until it starts", running: "Running", finished: "Finished", ended: "Ended" };

/** A file name from the experiment's name and the day: "usage-based-plans-2026-12-02". */
export function exportName(name: string, atMs: number): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "experiment";
  return `${slug}-${isoDay(atMs)}`;
}

/** The scorecard as CSV: one row per criterion, then the guardrails (the same rows as the CLI). */
export function scorecardCsv(data: ExperimentData): string {
  return toCsv(REPORT_HEADER, scorecardRows(data.scorecard, data.experiment.confidence));
}

/** The whole report (definition, scorecard, daily series, trail) as JSON, as `headroom experiment report --json` prints it. */
export function scorecardJson(data: ExperimentData): string {
  return JSON.stringify(data, null, 2) + "\n";
}
