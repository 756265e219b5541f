import { useId, useMemo } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import type { Catalog } from "../../../../shared/catalog";
import { formatMoney } from "../../../../shared/money";
import { formatCount, formatShortDateTime, isoDay, isoInstant } from "../../../lib/format";
import { useCatalog } from "../../../lib/use-catalog";
import { Button } from "../../../ui/button";
import { PageHeader } from "../../../ui/page-header";
import { EmptyState, ErrorState, LoadingBlock } from "../../../ui/states";
import { ModeBadge } from "../components/mode-badge";
import { QueryState } from "../components/query-state";
import { Segmented } from "../components/segmented";
import { SortTh, TableFrame, Td, THead, type SortDir } from "../components/table";
import { When } from "../components/when";
import { consolePaths } from "../console-paths";
import type { AuditRowData } from "../console-data";
import { downloadCsv, toCsv } from "../lib/csv";
import { changeStatusLabel, formatDateTimeUtc, formatDateUtc, NOT_REACHED_HINT, noticeKindLabel } from "../lib/format";
import { rangeLabel, useDaysRange } from "../lib/range";
import { withParams } from "../lib/search-params";
import { capOf, costDifference, csvRow, CSV_HEADER, defaultDir, isSortColumn, sortRows, type SortColumn } from "./audit-columns";
import { useShadowAudit } from "./use-shadow-audit";

const RANGES = [1, 7, 30] as const;

const TITLE = "Shadow audit";
const DESCRIPTION = "Accounts over a plan cap, what enforcement would have refused, and what each has been told. Figures are per UTC day.";

/**
 * The landing page: every account that went over a cap in the range, what shadow mode would have
 * refused, the plan that would fit, and what the account has been told. The `?plan=` filter is read
 * against the catalog, so the audit is asked for once the catalog is loaded.
 */
export function ShadowAuditPage() {
  const catalog = useCatalog();
  if (catalog.data) return <ShadowAudit catalog={catalog.data} />;
  return (
    <>
      <PageHeader title={TITLE} description={DESCRIPTION} />
      {catalog.isError ? (
        <ErrorState title="We could not load the shadow audit" message={catalog.error.message} onRetry={() => catalog.refetch()} />
      ) : (
        <LoadingBlock rows={3} label="Loading the shadow audit…" />
      )}
    </>
  );
}

function ShadowAudit({ catalog }: { catalog: Catalog }) {
  const [params, setParams] = useSearchParams();
  const range = useDaysRange(RANGES, 7);
  const planParam = params.get("plan");
  const planId = planParam !== null && catalog.has(planParam) ? planParam : undefined;
  const sortParam = params.get("sort");
  const column: SortColumn = isSortColumn(sortParam) ? sortParam : "wouldThrottle";
  const dir: SortDir = params.get("dir") === "asc" ? "asc" : params.get("dir") === "desc" ? "desc" : defaultDir(column);
  const audit = useShadowAudit({ fromMs: range.fromMs, planId });
  const planSelectId = useId();

  const update = (changes: Record<string, string | null>) => setParams((p) => withParams(p, changes), { replace: true });
  const onSort = (c: string) => {
    if (!isSortColumn(c)) return;
    const nextDir = c === column ? (dir === "asc" ? "desc" : "asc") : defaultDir(c);
    update({ sort: c, dir: nextDir });
  };

  const rows = useMemo(() => (audit.data ? sortRows(catalog, audit.data.rows, { column, dir }) : []), [catalog, audit.data, column, dir]);

  function exportCsv() {
    const stamp = isoDay(Date.now());
    downloadCsv(`shadow-audit-${planId ?? "all-plans"}-${range.days}d-${stamp}.csv`, toCsv(CSV_HEADER, rows.map((r) => csvRow(catalog, r))));
  }

  return (
    <>
      <PageHeader
        title={TITLE}
        description={DESCRIPTION}
        actions={
          <Button variant="secondary" onClick={exportCsv} disabled={rows.length === 0}>
            <svg viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
              <path d="M12 4v11m0 0-4-4m4 4 4-4M5 20h14" />
            </svg>
            Export CSV
          </Button>
        }
      />

      <div className="mb-4 flex flex-wrap items-center gap-x-6 gap-y-3">
        <Segmented legend="Range" options={RANGES.map((d) => ({ value: d, label: rangeLabel(d) }))} value={range.days} onChange={range.setDays} testId="audit-range" />
        <div className="flex items-center gap-2">
          <label htmlFor={planSelectId} className="text-sm font-medium text-slate-700">Plan</label>
          <select
            id={planSelectId}
            value={planId ?? ""}
            onChange={(e) => update({ plan: e.target.value || null })}
            className="rounded-lg border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900"
          >
            <option value="">All plans</option>
            {catalog.plans.map((p) => (
              <option key={p.id} value={p.id}>{p.name}</option>
            ))}
          </select>
        </div>
        <p className="text-sm text-slate-600" role="status" aria-live="polite">
          {audit.data && (
            <>
              {audit.isPlaceholderData ? "Updating… " : ""}
              {rows.length === 1 ? "1 account" : `${rows.length} accounts`} over a cap since {formatDateUtc(audit.data.fromMs)}
              {rows.length > 0 && <> · {formatCount(rows.reduce((s, r) => s + r.wouldThrottle, 0))} calls would have been throttled</>}
            </>
          )}
        </p>
      </div>

      <QueryState query={audit} what="the shadow audit" rows={3}>
        {(data) =>
          rows.length === 0 ? (
            <EmptyState title={`No account went over a cap since ${formatDateUtc(data.fromMs)}`}>
              {planId ? `Nothing on the ${catalog.nameOf(planId)} plan. Try all plans or a longer range.` : "Every account stayed within its plan. Try a longer range."}
            </EmptyState>
          ) : (
            <AuditTable catalog={catalog} rows={rows} sort={{ column, dir }} onSort={onSort} />
          )
        }
      </QueryState>
    </>
  );
}

function AuditTable({ catalog, rows, sort, onSort }: { catalog: Catalog; rows: AuditRowData[]; sort: { column: string; dir: SortDir }; onSort: (c: string) => void }) {
  const navigate = useNavigate();
  const th = (label: string, column: SortColumn, numeric?: boolean, hint?: string) => <SortTh label={label} column={column} sort={sort} onSort={onSort} numeric={numeric} hint={hint} />;
  return (
    <TableFrame label="Accounts over a cap" minWidth={1100} testId="audit-table">
      <THead>
        <tr>
          {th("Account", "account")}
          {th("Plan", "plan")}
          {th("Mode", "mode")}
          {th("Peak / min", "peakMinute", true, "Most calls in one minute in the range, against the plan's per-minute cap")}
          {th("Peak / day", "peakDay", true, "Most calls made on one UTC day in the range, against the daily cap")}
          {th("Period usage", "periodUsage", true, "Calls in the account's current billing period")}
          {th("Would throttle", "wouldThrottle", true, "Calls over a cap that shadow mode served")}
          {th("Days over", "daysOver", true, "UTC days in the range whose busiest minute or total went over the current plan's per-minute or daily cap")}
          {th("Recommended", "recommended", false, "The plan the customer's Plans page recommends, its estimated monthly cost at their rate, and the difference from their current plan's")}
          {th("Notices sent", "notices")}
          {th("Last plan change", "lastPlanChange")}
        </tr>
      </THead>
      <tbody className="divide-y divide-slate-100">
        {rows.map((r) => (
          <tr
            key={r.accountId}
            data-testid="audit-row"
            data-account={r.accountId}
            className="cursor-pointer hover:bg-slate-50"
            onClick={(e) => {
              // The name is the keyboard's way in; a click anywhere else on the row goes there too.
              if ((e.target as HTMLElement).closest("a, button")) return;
              void navigate(consolePaths.account(r.accountId));
            }}
          >
            <Td tight>
              <Link to={consolePaths.account(r.accountId)} className="font-medium text-slate-900 underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900">
                {r.name}
              </Link>
              <p className="text-xs text-slate-600">{r.email}</p>
            </Td>
            <Td tight>{catalog.nameOf(r.planId)}</Td>
            <Td tight><ModeBadge mode={r.mode} /></Td>
            <Td tight numeric data-testid="peak-minute"><AgainstCap value={r.peakMinute} cap={capOf(catalog, r.planId, "minute")} /></Td>
            <Td tight numeric data-testid="peak-day"><AgainstCap value={r.peakDay} cap={capOf(catalog, r.planId, "day")} /></Td>
            <Td tight numeric><AgainstCap value={r.periodUsage} cap={capOf(catalog, r.planId, "month")} /></Td>
            <Td tight numeric>
              <span className="font-medium text-amber-900">{formatCount(r.wouldThrottle)}</span>
              {r.throttled > 0 && <p className="text-xs text-rose-800">{formatCount(r.throttled)} refused</p>}
            </Td>
            <Td tight numeric>{r.daysOver}</Td>
            <Td tight>
              {r.recommended ? (
                <>
                  <span className="font-medium text-slate-900">{r.recommended.name}</span>
                  <p className="text-xs text-slate-600 sm:whitespace-nowrap" data-testid="recommended-cost">
                    about {formatMoney(r.recommended.monthlyCostMinor, r.recommended.currency)}/month ({costDifference(r.recommended.costDiffMinor, r.recommended.currency)})
                  </p>
                </>
              ) : (
                <span className="text-slate-600">–</span>
              )}
            </Td>
            <Td tight><NoticeCell notices={r.notices} /></Td>
            <Td tight>
              {r.lastPlanChange ? (
                <>
                  <span className="whitespace-nowrap font-medium text-slate-900">→ {catalog.nameOf(r.lastPlanChange.toPlanId)}</span>
                  <p className="text-xs text-slate-700">{changeStatusLabel(r.lastPlanChange.status)}</p>
                  <p className="text-xs text-slate-600"><When ms={r.lastPlanChange.atMs} dateOnly /></p>
                </>
              ) : (
                <span className="text-slate-600">None</span>
              )}
            </Td>
          </tr>
        ))}
      </tbody>
    </TableFrame>
  );
}

/** "4.5×", "12×": how many times the cap, to one decimal while that still says something. */
const times = (ratio: number) => `${ratio < 10 ? ratio.toFixed(1) : Math.round(ratio)}×`;

/** "268" and, under it, "4.5× the 60 cap" when over. */
function AgainstCap({ value, cap }: { value: number; cap: number | null }) {
  const over = cap !== null && value > cap;
  return (
    <>
      <span className={over ? "font-semibold text-rose-800" : "text-slate-900"}>{formatCount(value)}</span>
      {cap !== null && <p className="whitespace-nowrap text-xs text-slate-600">{over ? `${times(value / cap)} cap ${formatCount(cap)}` : `cap ${formatCount(cap)}`}</p>}
    </>
  );
}

function NoticeCell({ notices }: { notices: AuditRowData["notices"] }) {
  if (notices.length === 0) return <span className="font-medium text-amber-900">None yet</span>;
  const shown = notices.slice(0, 3);
  return (
    <ul className="space-y-1 text-xs">
      {shown.map((n, i) => (
        <li key={i}>
          <span className="font-medium text-slate-900">{noticeKindLabel(n.kind)}</span>
          <span className="block whitespace-nowrap text-slate-700">
            <time dateTime={isoInstant(n.createdAtMs)} title={formatDateTimeUtc(n.createdAtMs)}>{formatShortDateTime(n.createdAtMs)}</time>
            {" · "}
            {n.deliveredAtMs === null ? (
              <span className="text-amber-900" title={NOT_REACHED_HINT}>not seen yet</span>
            ) : (
              <span className="text-emerald-800" title={`Reached the customer ${formatDateTimeUtc(n.deliveredAtMs)} (e-mailed, or seen in the portal)`}>reached</span>
            )}
          </span>
        </li>
      ))}
      {notices.length > shown.length && <li className="text-slate-600">and {notices.length - shown.length} more</li>}
    </ul>
  );
}
