import { useId, useState } from "react";
import { Link } from "react-router";
import { formatPrice } from "../../../../shared/money";
import { ENFORCEMENT_MODES, WINDOW_LABELS, type EnforcementMode, type Plan } from "../../../../shared/plans";
import { formatCount } from "../../../lib/format";
import { Button } from "../../../ui/button";
import { ErrorState } from "../../../ui/states";
import { ModeBadge } from "../components/mode-badge";
import { Segmented } from "../components/segmented";
import { ResponsiveTable } from "../components/table";
import { When } from "../components/when";
import { consolePaths } from "../console-paths";
import type { AccountSummary, Readiness } from "../console-data";
import { FlipDialog, type FlipRequest } from "./flip-dialog";
import { useEnforcementReadiness } from "./use-enforcement-readiness";

const MODE_LABEL: Record<EnforcementMode, string> = { off: "Off", shadow: "Shadow", enforce: "Enforce" };

function capsText(plan: Plan): string {
  const parts = (["minute", "day", "month"] as const).filter((w) => plan.caps[w] !== undefined).map((w) => `${formatCount(plan.caps[w]!)} ${WINDOW_LABELS[w].per}`);
  return parts.length ? parts.join(" · ") : "no caps";
}

/**
 * One plan: its mode, what a flip to enforce would do now (the readiness preview), the control to
 * flip it, and a cohort of its accounts to flip first.
 */
export function PlanEnforcementCard({ plan, accounts }: { plan: Plan; accounts: AccountSummary[] }) {
  const [cohortOpen, setCohortOpen] = useState(false);
  const [cohort, setCohort] = useState<string[]>([]);
  const [request, setRequest] = useState<FlipRequest | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const headingId = useId();
  const cohortActive = cohortOpen && cohort.length > 0;
  const readiness = useEnforcementReadiness({ planId: plan.id });
  const cohortReadiness = useEnforcementReadiness({ planId: plan.id, accountIds: cohort }, cohortActive);

  const planMode = (readiness.data?.mode ?? plan.enforcement) as EnforcementMode;
  const capped = Object.values(plan.caps).some((c) => c !== undefined);
  // Accounts with their own mode (a cohort flipped earlier); a plan flip leaves them be.
  const ownMode = accounts.filter((a) => a.ownMode);
  const open = (mode: EnforcementMode, accountIds: string[] | null, followPlan = false) => {
    setAnnouncement("");
    // The confirmation must name today's figures, not those of when the page was opened.
    void (accountIds ? cohortReadiness.refetch() : readiness.refetch());
    setRequest({ planId: plan.id, planName: plan.name, mode, accountIds, followPlan });
  };

  return (
    <section aria-labelledby={headingId} className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid={`plan-${plan.id}`}>
      <header className="flex flex-wrap items-start justify-between gap-4 border-b border-slate-100 px-5 py-4">
        <div>
          <h2 id={headingId} className="flex items-center gap-2 text-base font-semibold text-slate-900">
            {plan.name} <ModeBadge mode={planMode} />
          </h2>
          <p className="mt-0.5 text-sm text-slate-600">{formatPrice(plan.priceMinor, plan.currency)} · {capsText(plan)}</p>
        </div>
        <Segmented
          legend={`Enforcement mode of ${plan.name}`}
          options={ENFORCEMENT_MODES.map((m) => ({ value: m, label: MODE_LABEL[m] }))}
          value={planMode}
          onChange={(m) => open(m, null)}
          disabled={!readiness.data}
          testId={`mode-${plan.id}`}
        />
      </header>

      <div className="px-5 py-4">
        {readiness.isPending && <p className="text-sm text-slate-600" role="status">Loading the readiness preview…</p>}
        {readiness.isError && <ErrorState title="We could not preview a flip" message={readiness.error.message} onRetry={() => readiness.refetch()} />}
        {readiness.data && (capped ? <ReadinessFigures r={readiness.data} caption="If this plan were enforced now" /> : <p className="text-sm text-slate-700">No caps: every call is metered{plan.metered ? " and billed" : ""}; none is ever refused for a cap, whatever the mode. {formatCount(readiness.data.accounts)} {readiness.data.accounts === 1 ? "account" : "accounts"} on this plan.</p>)}

        {ownMode.length > 0 && (
          <p className="mt-3 text-sm text-slate-700">
            With their own mode (kept by a plan flip): {ownMode.map((a) => `${a.name} (${a.enforcement})`).join(", ")}. To let one follow the plan again, pick it under “Flip a cohort first”.
          </p>
        )}
        {announcement && (
          <p role="status" className="mt-3 rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900" data-testid="flip-result">
            {announcement}
          </p>
        )}

        {capped ? (
          <div className="mt-4 border-t border-slate-100 pt-3">
            <button
              type="button"
              aria-expanded={cohortOpen}
              onClick={() => setCohortOpen((o) => !o)}
              className="flex items-center gap-1.5 rounded-md text-sm font-medium text-brand-700 hover:text-brand-600"
            >
              <svg viewBox="0 0 24 24" className={`h-4 w-4 transition-transform ${cohortOpen ? "rotate-90" : ""}`} fill="none" stroke="currentColor" strokeWidth="2" aria-hidden>
                <path d="m9 6 6 6-6 6" />
              </svg>
              Flip a cohort first (beta)
            </button>
            {cohortOpen && (
              <CohortPicker
                plan={plan}
                accounts={accounts}
                chosen={cohort}
                onChange={setCohort}
                readiness={cohortActive ? cohortReadiness : null}
                planMode={planMode}
                onFlip={(mode) => open(mode, cohort)}
                onFollowPlan={() => open(planMode, cohort, true)}
              />
            )}
          </div>
        ) : null}
      </div>

      <FlipDialog
        request={request}
        readiness={request?.accountIds ? (cohortReadiness.isPlaceholderData ? undefined : cohortReadiness.data) : readiness.data}
        currentMode={planMode}
        keepOwnMode={request?.accountIds ? [] : ownMode.map((a) => a.name)}
        onClose={() => setRequest(null)}
        onDone={(message) => {
          setAnnouncement(message);
          if (request?.accountIds) setCohort([]);
        }}
      />
    </section>
  );
}

function ReadinessFigures({ r, caption }: { r: Readiness; caption: string }) {
  return (
    <div data-testid="readiness">
      <p className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-600">{caption}</p>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        <Figure label="Accounts" value={formatCount(r.accounts)} testId="readiness-accounts" />
        <Figure label="Would be refused now" value={formatCount(r.wouldRefuse.length)} tone={r.wouldRefuse.length > 0 ? "bad" : undefined} testId="readiness-refused" />
        <Figure label="Refused calls a day" value={formatCount(r.refusedCallsPerDay)} hint="Average of the last 7 full UTC days" testId="readiness-calls" />
        <Figure label="Already notified" value={r.wouldRefuse.length === 0 ? "–" : `${formatCount(r.notified)} of ${formatCount(r.wouldRefuse.length)}`} hint="Of the accounts that would be refused, those already sent a notice about their cap" testId="readiness-notified" />
      </dl>
      {r.wouldRefuse.length > 0 && (
        <div className="relative mt-3 overflow-x-auto" role="region" aria-label="Accounts that would be refused" tabIndex={0}>
          <ResponsiveTable minWidth={560} className="text-sm">
            <thead className="text-xs uppercase tracking-wide text-slate-600">
              <tr className="border-b border-slate-100">
                <th scope="col" className="py-1.5 pr-3 font-semibold">Would be refused</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Own mode</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-semibold">Days over (last 7)</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Notified</th>
                <th scope="col" className="py-1.5 font-semibold">Grace ends</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {r.wouldRefuse.map((a) => (
                <tr key={a.accountId} data-testid="readiness-row">
                  <td className="py-1.5 pr-3">
                    <Link to={consolePaths.account(a.accountId)} className="font-medium text-slate-900 underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900">{a.name}</Link>
                  </td>
                  <td className="py-1.5 pr-3"><ModeBadge mode={a.mode} /></td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{a.daysOverLastWeek}</td>
                  <td className="py-1.5 pr-3">{a.notifiedAtMs === null ? <span className="text-amber-900">Not yet</span> : <When ms={a.notifiedAtMs} />}</td>
                  <td className="py-1.5">{a.graceEndsAtMs === null ? <span className="text-slate-600">{r.graceHours} h after the notice</span> : <When ms={a.graceEndsAtMs} />}</td>
                </tr>
              ))}
            </tbody>
          </ResponsiveTable>
        </div>
      )}
    </div>
  );
}

function Figure({ label, value, hint, tone, testId }: { label: string; value: string; hint?: string; tone?: "bad"; testId?: string }) {
  return (
    <div className="rounded-lg bg-slate-50 px-3 py-2 ring-1 ring-inset ring-slate-200" data-testid={testId}>
      <dt className="text-xs text-slate-600" title={hint}>{label}</dt>
      <dd className={`mt-0.5 text-lg font-semibold tabular-nums ${tone === "bad" ? "text-rose-800" : "text-slate-900"}`}>{value}</dd>
    </div>
  );
}

function CohortPicker({
  plan,
  accounts,
  chosen,
  onChange,
  readiness,
  planMode,
  onFlip,
  onFollowPlan,
}: {
  plan: Plan;
  accounts: AccountSummary[];
  chosen: string[];
  onChange: (ids: string[]) => void;
  readiness: ReturnType<typeof useEnforcementReadiness> | null;
  planMode: EnforcementMode;
  onFlip: (mode: EnforcementMode) => void;
  onFollowPlan: () => void;
}) {
  const chosenOwn = accounts.filter((a) => a.ownMode && chosen.includes(a.id)).length;
  const toggle = (id: string, on: boolean) => onChange(on ? [...chosen, id] : chosen.filter((x) => x !== id));
  if (accounts.length === 0) return <p className="mt-3 text-sm text-slate-600">No account is on {plan.name}.</p>;
  return (
    <div className="mt-3 space-y-3" data-testid={`cohort-${plan.id}`}>
      <p className="text-sm text-slate-700">Pick accounts of {plan.name} to flip before the whole plan. Their own mode then stays until you flip them again.</p>
      <fieldset>
        <legend className="sr-only">Accounts of the cohort</legend>
        <div className="flex flex-wrap gap-2">
          {accounts.map((a) => (
            <label key={a.id} className="flex cursor-pointer items-center gap-2 rounded-lg border border-slate-200 px-3 py-1.5 text-sm has-[:checked]:border-brand-500 has-[:checked]:bg-brand-50">
              <input type="checkbox" checked={chosen.includes(a.id)} onChange={(e) => toggle(a.id, e.target.checked)} className="h-4 w-4 accent-brand-600" />
              <span className="font-medium text-slate-900">{a.name}</span>
              <ModeBadge mode={a.enforcement} />
              {a.ownMode && <span className="text-xs text-slate-600">own mode</span>}
            </label>
          ))}
        </div>
      </fieldset>
      {chosen.length > 0 && readiness?.isError && <ErrorState title="We could not preview the cohort" message={readiness.error.message} onRetry={() => readiness.refetch()} />}
      {chosen.length > 0 && readiness?.data && <ReadinessFigures r={readiness.data} caption={chosen.length === 1 ? "If this account were enforced now" : `If these ${chosen.length} accounts were enforced now`} />}
      <div className="flex flex-wrap gap-2">
        <Button variant="danger" disabled={chosen.length === 0 || !readiness?.data || readiness.isPlaceholderData} onClick={() => onFlip("enforce")}>
          Enforce {chosen.length === 1 ? "1 account" : `${chosen.length} accounts`}…
        </Button>
        <Button variant="secondary" disabled={chosen.length === 0} onClick={() => onFlip("shadow")}>Back to shadow…</Button>
        <Button variant="ghost" disabled={chosen.length === 0} onClick={() => onFlip("off")}>Turn off…</Button>
        <Button
          variant="ghost"
          disabled={chosenOwn === 0 || (planMode === "enforce" && (!readiness?.data || readiness.isPlaceholderData))}
          title={chosenOwn === 0 ? "None of the chosen accounts has its own mode" : undefined}
          onClick={onFollowPlan}
        >
          Follow the plan ({planMode})…
        </Button>
      </div>
    </div>
  );
}
