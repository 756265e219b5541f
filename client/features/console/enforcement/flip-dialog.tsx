import type { EnforcementMode } from "../../../../shared/plans";
import { formatCount, formatDateTime } from "../../../lib/format";
import { ConfirmDialog, Consequences } from "../../../ui/confirm-dialog";
import { MODE_MEANING } from "../components/mode-badge";
import { When } from "../components/when";
import type { Readiness } from "../console-data";
import { enforceSummary, relaxSummary, targetName } from "./flip-text";
import { useSetEnforcement } from "./use-set-enforcement";

export interface FlipRequest {
  planId: string;
  planName: string;
  mode: EnforcementMode;
  /** A cohort of the plan's accounts; null = the whole plan. */
  accountIds: string[] | null;
  /** The cohort drops its own mode and follows the plan's (`mode` is then the plan's mode). */
  followPlan?: boolean;
}

const MODE_VERB: Record<EnforcementMode, string> = { off: "Turn off", shadow: "Switch to shadow", enforce: "Enforce" };

/**
 * Confirms a flip with the readiness figures it was previewed with, then flips and reports how
 * many accounts were notified. `readiness` is the preview of exactly this target (plan or cohort).
 */
export function FlipDialog({ request, readiness, currentMode, keepOwnMode, onClose, onDone }: { request: FlipRequest | null; readiness: Readiness | undefined; currentMode: EnforcementMode; keepOwnMode: string[]; onClose: () => void; onDone: (message: string) => void }) {
  const flip = useSetEnforcement();
  const nowMs = Date.now();
  const cohort = request?.accountIds ?? null;
  const name = request ? targetName(request.planName, cohort ? cohort.length : null) : "";
  const graceEnd = readiness ? nowMs + readiness.graceHours * 3_600_000 : nowMs;

  function close(open: boolean) {
    if (open || flip.isPending) return;
    flip.reset();
    onClose();
  }

  function confirm() {
    if (!request) return;
    flip.mutate(
      { planId: request.planId, mode: request.followPlan ? "plan" : request.mode, ...(request.accountIds ? { accountIds: request.accountIds } : {}) },
      {
        onSuccess: (r) => {
          const who = cohort ? `${r.accounts === 1 ? "1 account" : `${formatCount(r.accounts)} accounts`} of ${request.planName}` : `${request.planName} (${r.accounts === 1 ? "1 account" : `${formatCount(r.accounts)} accounts`})`;
          const notified =
            r.mode === "enforce"
              ? r.notified === 0
                ? " No account needed a notice now."
                : ` ${r.notified === 1 ? "1 account was" : `${formatCount(r.notified)} accounts were`} notified; ${r.notified === 1 ? "it is" : "they are"} refused no earlier than ${formatDateTime(Date.now() + (readiness?.graceHours ?? 72) * 3_600_000, { upcoming: true })}.`
              : "";
          onDone(r.followsPlan ? `${who} now follow${r.accounts === 1 ? "s" : ""} the plan: ${r.mode} mode.${notified}` : `${who} now in ${r.mode} mode.${notified}`);
          flip.reset();
          onClose();
        },
      },
    );
  }

  const mode = request?.mode ?? "shadow";
  const follow = request?.followPlan === true;
  // Following the plan: the same consequences as a flip to the plan's mode, plus losing the own mode.
  const followNote = follow ? [`Their own mode is dropped: they follow ${request?.planName}'s mode (now ${mode}), and later flips of the plan apply to them.`] : [];
  return (
    <ConfirmDialog
      open={request !== null}
      onOpenChange={close}
      title={request ? (follow ? `Let ${name} follow the plan (${mode})?` : `${MODE_VERB[mode]} ${name}?`) : "Change enforcement?"}
      confirmLabel={request ? (follow ? `Follow the plan (${mode})` : `${MODE_VERB[mode]} ${name}`) : "Confirm"}
      pendingLabel="Switching…"
      tone={mode === "enforce" ? "danger" : "primary"}
      pending={flip.isPending}
      error={flip.isError ? flip.error.message : null}
      disabled={mode === "enforce" && !readiness}
      onConfirm={confirm}
      testId="flip-confirmation"
    >
      {request && mode === "enforce" && !readiness && <p className="text-sm text-slate-700">Loading what this flip would do…</p>}
      {request && mode === "enforce" && readiness && (
        <>
          <p className="text-sm font-medium leading-relaxed text-slate-900" data-testid="flip-summary">{enforceSummary(readiness, name, nowMs)}</p>
          {readiness.wouldRefuse.length > 0 && (
            <div className="relative mt-3 max-h-48 overflow-auto rounded-lg ring-1 ring-slate-200" role="region" aria-label="Accounts that would be refused" tabIndex={0}>
              <table className="w-full text-left text-xs">
                <caption className="sr-only">Accounts that would be refused</caption>
                <thead className="bg-slate-50 text-slate-600">
                  <tr>
                    <th scope="col" className="px-2.5 py-1.5 font-semibold">Account</th>
                    <th scope="col" className="px-2.5 py-1.5 text-right font-semibold">Days over (7)</th>
                    <th scope="col" className="px-2.5 py-1.5 font-semibold">Refused no earlier than</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {readiness.wouldRefuse.map((a) => (
                    <tr key={a.accountId}>
                      <td className="px-2.5 py-1.5 font-medium text-slate-900">{a.name}</td>
                      <td className="px-2.5 py-1.5 text-right tabular-nums">{a.daysOverLastWeek}</td>
                      <td className="px-2.5 py-1.5">
                        {a.graceEndsAtMs !== null ? <When ms={a.graceEndsAtMs} /> : <>{formatDateTime(graceEnd, { upcoming: true })} <span className="text-slate-600">(notified now)</span></>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="mt-4">
            <Consequences
              items={[
                "No call is refused before its account has been notified and the grace period has passed.",
                "Each account that would be refused gets an “enforcement scheduled” notice by e-mail and in the portal, with its date.",
                ...followNote,
                ...(keepOwnMode.length > 0 ? [`Accounts with their own mode keep it: ${keepOwnMode.join(", ")}.`] : []),
                "The flip is recorded in the audit log and can be undone by switching back to shadow.",
              ]}
            />
          </div>
        </>
      )}
      {request && mode !== "enforce" && (
        <>
          <p className="text-sm font-medium leading-relaxed text-slate-900" data-testid="flip-summary">{relaxSummary(mode, name, currentMode)}</p>
          <div className="mt-4">
            <Consequences
              items={[
                MODE_MEANING[mode],
                ...followNote,
                ...(keepOwnMode.length > 0 ? [`Accounts with their own mode keep it: ${keepOwnMode.join(", ")}.`] : []),
                "Recorded in the audit log.",
              ]}
            />
          </div>
        </>
      )}
    </ConfirmDialog>
  );
}
