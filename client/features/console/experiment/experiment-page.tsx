import { lazy, Suspense, useState, type ReactNode } from "react";
import { METRICS } from "../../../../shared/experiment/metrics";
import { formatInterval, formatMetricValue, formatTarget, undecidedReason, VERDICT_WORDS } from "../../../../shared/experiment/report";
import { Badge, type Tone } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { ConfirmDialog } from "../../../ui/confirm-dialog";
import { PageHeader } from "../../../ui/page-header";
import { LoadingBlock } from "../../../ui/states";
import { QueryState } from "../components/query-state";
import { Section } from "../components/section";
import { EmptyNote, TableFrame, Td, Th, THead } from "../components/table";
import { downloadCsv, downloadFile } from "../lib/csv";
import { formatDateUtc } from "../lib/format";
import { ExperimentForm } from "./experiment-form";
import { exportName, scorecardCsv, scorecardJson, STATE_LABEL, type ExperimentData } from "./experiment-text";
import { RollbackPlan } from "./rollback-plan";
import { TrailSection } from "./trail-section";
import { useExperiment, useExperiments } from "./use-experiment";
import { useEndExperiment } from "./use-save-experiment";

// The charts load after the scorecard is on screen.
const SeriesCharts = lazy(async () => ({ default: (await import("./experiment-charts")).SeriesCharts }));

const VERDICT_TONE: Record<string, Tone> = { met: "good", not_met: "bad", undecided: "neutral" };
const OVERALL: Record<string, { label: string; tone: Tone }> = {
  failing: { label: "Failing", tone: "bad" },
  succeeding: { label: "Succeeding", tone: "good" },
  inconclusive: { label: "Inconclusive", tone: "warn" },
};

/** The pricing experiment: its definition, its scorecard against the criteria, and the rollback plan. */
export function ExperimentPage() {
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const experiment = useExperiment(selected);
  const list = useExperiments();
  const [form, setForm] = useState<{ mode: "create" | "edit"; from: ExperimentData | null } | null>(null);
  const [announcement, setAnnouncement] = useState("");

  return (
    <>
      <PageHeader
        title="Experiment"
        description="A pricing change run as an experiment: a hypothesis, criteria with thresholds, a cohort and a sample, judged at a stated confidence. Days are UTC days."
        actions={
          <div className="flex flex-wrap items-center gap-2">
            {list.data && list.data.length > 1 && (
              <label className="flex items-center gap-2 text-sm text-slate-700">
                <span>Show</span>
                <select className="rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm" value={selected ?? ""} onChange={(e) => setSelected(e.target.value || undefined)}>
                  <option value="">The active one</option>
                  {list.data.map((e) => (
                    <option key={e.id} value={e.id}>
                      {e.name} ({e.state}, from {formatDateUtc(e.startMs)})
                    </option>
                  ))}
                </select>
              </label>
            )}
            <Button onClick={() => setForm({ mode: "create", from: experiment.data ?? null })}>New experiment…</Button>
          </div>
        }
      />
      <p role="status" aria-live="polite" className={announcement ? "mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900" : "sr-only"}>
        {announcement}
      </p>
      <QueryState query={experiment} what="the experiment" rows={4}>
        {(data) =>
          data === null ? (
            <EmptyNote testId="no-experiment">No experiment yet. Create one to judge a pricing change against its criteria.</EmptyNote>
          ) : (
            <ExperimentView data={data} onEdit={() => setForm({ mode: "edit", from: data })} onAnnounce={setAnnouncement} />
          )
        }
      </QueryState>
      {form && (
        <ExperimentForm
          mode={form.mode}
          from={form.from}
          onClose={(message) => {
            setForm(null);
            if (message) {
              setAnnouncement(message);
              setSelected(undefined);
            }
          }}
        />
      )}
    </>
  );
}

function ExperimentView({ data, onEdit, onAnnounce }: { data: ExperimentData; onEdit: () => void; onAnnounce: (m: string) => void }) {
  const { experiment: e, scorecard: card } = data;
  const end = useEndExperiment();
  const [ending, setEnding] = useState(false);
  const endMs = e.startMs + e.durationDays * 86_400_000;
  const overall = OVERALL[card.overall.verdict]!;
  const file = exportName(e.name, data.generatedAtMs);
  const pct = `${Math.round(e.confidence * 100)}%`;

  return (
    <div data-testid="experiment">
      <div className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <h2 className="text-xl font-semibold tracking-tight text-slate-900" data-testid="experiment-name">{e.name}</h2>
            <p className="mt-1 max-w-3xl text-sm text-slate-700">{e.hypothesis}</p>
          </div>
          <div className="flex flex-wrap items-center gap-2">
            <Badge tone={e.state === "running" ? "brand" : "neutral"}>{STATE_LABEL[e.state]}</Badge>
            {e.editable && <Button variant="secondary" onClick={onEdit}>Edit…</Button>}
            {e.state !== "ended" && (
              <Button variant="secondary" onClick={() => setEnding(true)}>
                End…
              </Button>
            )}
          </div>
        </div>
        <dl className="mt-4 grid grid-cols-2 gap-x-6 gap-y-3 text-sm sm:grid-cols-4">
          <Fact label="Window">
            {formatDateUtc(e.startMs)} – {formatDateUtc(endMs)}
            <span className="block text-xs text-slate-600">{card.started ? `day ${card.day} of ${e.durationDays}` : `${e.durationDays} days, not started`}</span>
          </Fact>
          <Fact label="Cohort">
            {e.cohortName || (e.cohort.kind === "all" ? "All accounts" : "Named accounts")}
            <span className="block text-xs text-slate-600">{e.cohortSize} {e.cohortSize === 1 ? "account" : "accounts"}</span>
          </Fact>
          <Fact label="Sample (API users)">
            <SampleBar apiUsers={card.sample.apiUsers} min={card.sample.min} target={card.sample.target} />
          </Fact>
          <Fact label="Confidence">{pct}</Fact>
        </dl>
        {e.phases.length > 0 && (
          <ol className="mt-4 flex flex-wrap gap-2 text-xs" aria-label="Phases" data-testid="phases">
            {e.phases.map((p) => {
              const current = p.name === card.currentPhase;
              return (
                <li key={p.name} aria-current={current ? "step" : undefined} className={`rounded-lg px-2.5 py-1.5 ring-1 ring-inset ${current ? "bg-brand-50 font-semibold text-brand-800 ring-brand-200" : "bg-slate-50 text-slate-700 ring-slate-200"}`}>
                  {p.name}
                  <span className="ml-1.5 font-normal text-slate-600">
                    {formatDateUtc(p.startMs)} – {formatDateUtc(p.endMs)}
                  </span>
                  {current && <span className="ml-1.5 font-normal">(current)</span>}
                </li>
              );
            })}
          </ol>
        )}
      </div>

      <section aria-labelledby="overall-title" className="mt-6 grid gap-4 rounded-xl border border-slate-200 bg-white p-5 shadow-sm md:grid-cols-[minmax(0,16rem)_1fr]" data-testid="overall">
        <div>
          <h2 id="overall-title" className="text-xs font-semibold uppercase tracking-wide text-slate-600">Overall verdict</h2>
          <p className="mt-1.5 text-2xl font-semibold">
            <Badge tone={overall.tone}>
              <span className="px-1 text-base" data-testid="overall-verdict">{card.started ? overall.label : "Not started"}</span>
            </Badge>
          </p>
          {card.overall.reachedDay !== null && card.overall.reachedDayMs !== null && (
            <p className="mt-1.5 text-sm text-slate-700">
              since day {card.overall.reachedDay} ({formatDateUtc(card.overall.reachedDayMs)})
            </p>
          )}
        </div>
        <div className="text-sm text-slate-700">
          <h3 className="font-semibold text-slate-900">The rule</h3>
          <p className="mt-1" data-testid="overall-rule">{card.overall.rule}</p>
        </div>
      </section>

      <Section
        title="Criteria"
        description={`Each judged on its ${pct} confidence interval: met or not met only when the whole interval is on one side of the threshold.`}
        actions={
          <div className="flex gap-2">
            <Button variant="secondary" onClick={() => downloadCsv(`${file}.csv`, scorecardCsv(data))}>Export CSV</Button>
            <Button variant="secondary" onClick={() => downloadFile(`${file}.json`, new Blob([scorecardJson(data)], { type: "application/json" }))}>Export JSON</Button>
          </div>
        }
      >
        <div className="hidden md:block">
          <CriteriaTable data={data} />
        </div>
        <CriteriaCards data={data} />
      </Section>

      <Section title="Guardrails" description="Checked every day of the window; a broken guardrail puts the rollback plan forward.">
        <TableFrame label="Guardrails" minWidth={560} testId="guardrails">
          <THead>
            <tr>
              <Th>Guardrail</Th>
              <Th>Status</Th>
              <Th>So far</Th>
            </tr>
          </THead>
          <tbody className="divide-y divide-slate-100">
            {card.guardrails.length === 0 ? (
              <tr>
                <Td colSpan={3} className="text-slate-600">Checked once the experiment starts.</Td>
              </tr>
            ) : (
              card.guardrails.map((g) => (
                <tr key={g.id} data-testid={`guardrail-${g.id}`}>
                  <th scope="row" className="px-3 py-2.5 text-left align-top font-medium text-slate-900">
                    {g.label}
                    <span className="block text-xs font-normal text-slate-600">{g.rule}</span>
                  </th>
                  <Td>{g.broken ? <Badge tone="bad">Broken</Badge> : <Badge tone="good">Holding</Badge>}</Td>
                  <Td className="text-slate-700">{g.detail}</Td>
                </tr>
              ))
            )}
          </tbody>
        </TableFrame>
      </Section>

      <RollbackPlan data={data} onAnnounce={onAnnounce} />

      <Section title="Day by day" description="Each metric as it stood at the end of each day, its confidence band, and the criteria's thresholds.">
        {card.series.length === 0 ? (
          <EmptyNote>The series starts on the experiment's first day.</EmptyNote>
        ) : (
          <Suspense fallback={<LoadingBlock rows={2} label="Loading the charts…" />}>
            <SeriesCharts data={data} />
          </Suspense>
        )}
      </Section>

      <TrailSection data={data} />

      <ConfirmDialog
        open={ending}
        onOpenChange={(o) => {
          if (!o) {
            end.reset();
            setEnding(false);
          }
        }}
        title={`End “${e.name}” now?`}
        confirmLabel="End the experiment"
        pendingLabel="Ending…"
        tone="danger"
        pending={end.isPending}
        error={end.isError ? end.error.message : null}
        onConfirm={() =>
          end.mutate(
            { id: e.id },
            {
              onSuccess: () => {
                setEnding(false);
                onAnnounce(`“${e.name}” ended. Its scorecard stays readable; a new experiment can be created.`);
              },
            },
          )
        }
      >
        <p className="text-sm text-slate-700">Its scorecard is frozen as of now and stays readable. Nothing about the accounts or their billing changes.</p>
      </ConfirmDialog>
    </div>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-semibold uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="mt-0.5 text-slate-900">{children}</dd>
    </div>
  );
}

function SampleBar({ apiUsers, min, target }: { apiUsers: number; min: number; target: number }) {
  const share = (n: number) => `${Math.min(100, (n / Math.max(1, target)) * 100)}%`;
  return (
    <div data-testid="sample">
      <span className="tabular-nums">
        {apiUsers} of {min} minimum
      </span>
      <span className="text-xs text-slate-600"> · target {target}</span>
      <div className="relative mt-1 h-2 rounded bg-slate-100" aria-hidden>
        <div className={`h-full rounded ${apiUsers >= min ? "bg-emerald-600" : "bg-amber-500"}`} style={{ width: share(apiUsers) }} />
        <div className="absolute top-[-2px] h-3 w-0.5 bg-slate-700" style={{ left: share(min) }} title="minimum" />
      </div>
    </div>
  );
}

function CriteriaTable({ data }: { data: ExperimentData }) {
  const card = data.scorecard;
  const rows = (["success", "failure"] as const).map((kind) => ({ kind, items: card.criteria.filter((c) => c.kind === kind) }));
  return (
    <TableFrame label="Criteria" minWidth={940} testId="criteria">
      <THead>
        <tr>
          <Th>Criterion</Th>
          <Th>Target</Th>
          <Th numeric>Now</Th>
          <Th>{Math.round(data.experiment.confidence * 100)}% interval</Th>
          <Th>Verdict</Th>
        </tr>
      </THead>
      {rows.map(({ kind, items }) =>
        items.length === 0 ? null : (
          <tbody key={kind} className="divide-y divide-slate-100 border-t border-slate-200">
            <tr className="bg-slate-50/60">
              <Th scope="colgroup" colSpan={5} className="text-xs uppercase tracking-wide text-slate-600">
                {kind === "success" ? "Success: every one must be met" : "Failure: any one met fails the experiment"}
              </Th>
            </tr>
            {items.map((c, i) => {
              const info = METRICS[c.metric];
              const reason = undecidedReason(c);
              return (
                <tr key={`${kind}-${i}`} data-testid="criterion" data-metric={c.metric} data-kind={c.kind} data-verdict={c.verdict}>
                  <th scope="row" className="w-[22rem] px-3 py-2.5 text-left align-top font-medium text-slate-900">
                    {info.label}
                    <span className="mt-0.5 block text-xs font-normal text-slate-600">{info.definition}</span>
                  </th>
                  <Td className="whitespace-nowrap">{formatTarget(c, card.currency)}</Td>
                  <Td numeric className="whitespace-nowrap">
                    <span className="font-semibold text-slate-900">{formatMetricValue(c.metric, c.value, card.currency)}</span>
                    <span className="block text-xs text-slate-600">
                      {c.count !== null && c.value !== null ? `${c.count} of ${c.n} ${info.sampleUnit.many}` : `${c.n} ${c.n === 1 ? info.sampleUnit.one : info.sampleUnit.many}`}
                    </span>
                  </Td>
                  <Td>
                    <span className="whitespace-nowrap tabular-nums">{formatInterval(c.metric, c.interval, card.currency)}</span>
                    <span className="block text-xs text-slate-600">{info.intervalName}</span>
                  </Td>
                  <Td className="min-w-52">
                    <span className="whitespace-nowrap">
                      <Badge tone={VERDICT_TONE[c.verdict]}>{VERDICT_WORDS[c.verdict]}</Badge>
                    </span>
                    {reason && <span className="mt-1 block text-xs text-slate-700">{reason}</span>}
                  </Td>
                </tr>
              );
            })}
          </tbody>
        ),
      )}
    </TableFrame>
  );
}

/** The criteria as cards on a narrow screen: the same figures, one criterion per card. */
function CriteriaCards({ data }: { data: ExperimentData }) {
  const card = data.scorecard;
  return (
    <ul className="space-y-3 md:hidden" aria-label="Criteria" data-testid="criteria-cards">
      {card.criteria.map((c, i) => {
        const info = METRICS[c.metric];
        const reason = undecidedReason(c);
        return (
          <li key={i} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
            <div className="flex items-start justify-between gap-2">
              <p className="text-sm font-semibold text-slate-900">
                <span className="mr-1.5 text-xs font-medium uppercase tracking-wide text-slate-600">{c.kind}</span>
                {info.label} {formatTarget(c, card.currency)}
              </p>
              <span className="shrink-0">
                <Badge tone={VERDICT_TONE[c.verdict]}>{VERDICT_WORDS[c.verdict]}</Badge>
              </span>
            </div>
            <dl className="mt-2 grid grid-cols-2 gap-2 text-sm">
              <div>
                <dt className="text-xs text-slate-600">Now</dt>
                <dd className="font-semibold tabular-nums text-slate-900">{formatMetricValue(c.metric, c.value, card.currency)}</dd>
                <dd className="text-xs text-slate-600">{c.count !== null && c.value !== null ? `${c.count} of ${c.n} ${info.sampleUnit.many}` : `${c.n} ${c.n === 1 ? info.sampleUnit.one : info.sampleUnit.many}`}</dd>
              </div>
              <div>
                <dt className="text-xs text-slate-600">{Math.round(data.experiment.confidence * 100)}% interval</dt>
                <dd className="tabular-nums text-slate-900">{formatInterval(c.metric, c.interval, card.currency)}</dd>
                <dd className="text-xs text-slate-600">{info.intervalName}</dd>
              </div>
            </dl>
            {reason && <p className="mt-2 text-xs text-slate-700">{reason}</p>}
            <p className="mt-2 border-t border-slate-100 pt-2 text-xs text-slate-600">{info.definition}</p>
          </li>
        );
      })}
    </ul>
  );
}

