import { useId, useState, type ReactNode } from "react";
import { METRIC_IDS, METRICS, type MetricId } from "../../../../shared/experiment/metrics";
import { isoDay } from "../../../lib/format";
import { Button } from "../../../ui/button";
import { Dialog } from "../../../ui/dialog";
import type { OperatorInputs } from "../console-data";
import { inputToMinor, minorToInput } from "../lib/money-input";
import type { ExperimentData } from "./experiment-text";
import { useCreateExperiment, useEditExperiment } from "./use-save-experiment";

type Definition = OperatorInputs["createExperiment"];
const DAY_MS = 86_400_000;

interface CriterionRow {
  kind: "success" | "failure";
  metric: MetricId;
  comparison: "gt" | "lt";
  /** As typed, in the metric's unit: percent, money, points, calls. */
  threshold: string;
  afterDays: string;
}
interface PhaseRow {
  name: string;
  start: string;
  end: string;
}

const dayMs = (text: string) => (/^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN);

const UNIT_SUFFIX: Record<string, string> = { ratio: "%", money_per_month: "/month", nps: "points", calls: "calls/day" };

function thresholdText(metric: MetricId, value: number, currency: string): string {
  const unit = METRICS[metric].unit;
  if (unit === "ratio") return String(Math.round(value * 10_000) / 100);
  if (unit === "money_per_month") return minorToInput(value, currency);
  return String(value);
}

function thresholdValue(metric: MetricId, text: string, currency: string): number | null {
  const unit = METRICS[metric].unit;
  if (unit === "money_per_month") return inputToMinor(text, currency);
  const n = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(n)) return null;
  return unit === "ratio" ? n / 100 : n;
}

/**
 * Creates an experiment, or edits one that has not started. A new one starts from the shown
 * experiment's criteria (a copy, starting tomorrow), so the usual case is a few changes.
 */
export function ExperimentForm({ mode, from, onClose }: { mode: "create" | "edit"; from: ExperimentData | null; onClose: (message?: string) => void }) {
  const currency = from?.scorecard.currency ?? "USD";
  const e = from?.experiment;
  const tomorrow = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS;
  const shift = mode === "create" && e ? tomorrow - e.startMs : 0;
  const [name, setName] = useState(mode === "edit" && e ? e.name : e ? `${e.name} (all accounts)` : "");
  const [hypothesis, setHypothesis] = useState(e?.hypothesis ?? "");
  const [start, setStart] = useState(isoDay(mode === "edit" && e ? e.startMs : tomorrow));
  const [duration, setDuration] = useState(String(e?.durationDays ?? 30));
  const [cohortKind, setCohortKind] = useState<"all" | "accounts">(mode === "edit" && e ? e.cohort.kind : "all");
  const [cohortName, setCohortName] = useState(e?.cohort.kind === "accounts" ? e.cohortName : "");
  const [cohortIds, setCohortIds] = useState(e?.cohort.kind === "accounts" ? e.cohort.accountIds.join("\n") : "");
  const [minSample, setMinSample] = useState(String(e?.minSample ?? 100));
  const [targetSample, setTargetSample] = useState(String(e?.targetSample ?? 500));
  const [confidence, setConfidence] = useState(String(e ? Math.round(e.confidence * 100) : 95));
  const [criteria, setCriteria] = useState<CriterionRow[]>(
    e?.criteria.map((c) => ({ kind: c.kind, metric: c.metric, comparison: c.comparison, threshold: thresholdText(c.metric, c.threshold, currency), afterDays: c.afterDays === null ? "" : String(c.afterDays) })) ?? [
      { kind: "success", metric: "upgrade_rate", comparison: "gt", threshold: "15", afterDays: "" },
    ],
  );
  const [phases, setPhases] = useState<PhaseRow[]>(e?.phases.map((p) => ({ name: p.name, start: isoDay(p.startMs + shift), end: isoDay(p.endMs + shift) })) ?? []);
  const [problem, setProblem] = useState<string | null>(null);
  const create = useCreateExperiment();
  const edit = useEditExperiment();
  const pending = create.isPending || edit.isPending;
  const serverError = create.isError ? create.error.message : edit.isError ? edit.error.message : null;

  function build(): Definition | string {
    const startMs = dayMs(start);
    if (Number.isNaN(startMs)) return "Give the start date.";
    const ints = { duration: Number(duration), min: Number(minSample), target: Number(targetSample) };
    if (!Object.values(ints).every((n) => Number.isInteger(n) && n > 0)) return "The duration and the samples are whole numbers above 0.";
    const built: Definition["criteria"] = [];
    for (const [i, c] of criteria.entries()) {
      const threshold = thresholdValue(c.metric, c.threshold, currency);
      if (threshold === null) return `Criterion ${i + 1}: give a threshold in ${UNIT_SUFFIX[METRICS[c.metric].unit]}.`;
      const after = c.afterDays.trim() === "" ? null : Number(c.afterDays);
      if (after !== null && !(Number.isInteger(after) && after > 0)) return `Criterion ${i + 1}: "after days" is a whole number of days, or empty.`;
      built.push({ kind: c.kind, metric: c.metric, comparison: c.comparison, threshold, afterDays: after });
    }
    const builtPhases: NonNullable<Definition["phases"]> = [];
    for (const [i, p] of phases.entries()) {
      const s = dayMs(p.start);
      const en = dayMs(p.end);
      if (Number.isNaN(s) || Number.isNaN(en)) return `Phase ${i + 1}: give both dates.`;
      builtPhases.push({ name: p.name, startMs: s, endMs: en });
    }
    const ids = cohortIds.split(/[\s,]+/).filter(Boolean);
    return {
      name,
      hypothesis,
      startMs,
      durationDays: ints.duration,
      cohort: cohortKind === "all" ? { kind: "all" } : { kind: "accounts", name: cohortName, accountIds: ids },
      minSample: ints.min,
      targetSample: ints.target,
      confidencePct: Number(confidence),
      criteria: built,
      phases: builtPhases,
    };
  }

  function submit() {
    const def = build();
    if (typeof def === "string") {
      setProblem(def);
      return;
    }
    setProblem(null);
    if (mode === "edit" && e) edit.mutate({ id: e.id, definition: def }, { onSuccess: () => onClose(`“${def.name}” saved. It can be edited until it starts.`) });
    else create.mutate(def, { onSuccess: () => onClose(`“${def.name}” created. It can be edited until it starts on ${start}.`) });
  }

  const input = "w-full rounded-lg border border-slate-300 px-3 py-2 text-sm";
  const small = "rounded-lg border border-slate-300 px-2 py-1.5 text-sm";
  return (
    <Dialog open onOpenChange={(o) => !o && !pending && onClose()} title={mode === "edit" ? `Edit “${e?.name ?? ""}”` : "New experiment"} description="Editable until its start; afterwards only notes are added to its trail." dismissOnOutsideClick={false}>
      <form
        className="space-y-4"
        data-testid="experiment-form"
        onSubmit={(ev) => {
          ev.preventDefault();
          submit();
        }}
      >
        <Field label="Name">
          {(id) => <input id={id} className={input} value={name} onChange={(ev) => setName(ev.target.value)} required maxLength={120} />}
        </Field>
        <Field label="Hypothesis">
          {(id) => <textarea id={id} className={input} rows={3} value={hypothesis} onChange={(ev) => setHypothesis(ev.target.value)} required maxLength={2000} />}
        </Field>
        <div className="grid grid-cols-2 gap-3">
          <Field label="Start (UTC day)">{(id) => <input id={id} type="date" className={input} value={start} onChange={(ev) => setStart(ev.target.value)} required />}</Field>
          <Field label="Duration (days)">{(id) => <input id={id} inputMode="numeric" className={input} value={duration} onChange={(ev) => setDuration(ev.target.value)} required />}</Field>
        </div>
        <fieldset>
          <legend className="text-sm font-medium text-slate-800">Cohort</legend>
          <div className="mt-1 flex gap-4 text-sm">
            <label className="flex items-center gap-1.5">
              <input type="radio" name="cohort" checked={cohortKind === "all"} onChange={() => setCohortKind("all")} /> All accounts
            </label>
            <label className="flex items-center gap-1.5">
              <input type="radio" name="cohort" checked={cohortKind === "accounts"} onChange={() => setCohortKind("accounts")} /> Named accounts (a beta cohort)
            </label>
          </div>
          {cohortKind === "accounts" && (
            <div className="mt-2 grid gap-2">
              <Field label="Cohort name">{(id) => <input id={id} className={input} value={cohortName} onChange={(ev) => setCohortName(ev.target.value)} maxLength={120} />}</Field>
              <Field label="Account ids (one per line)">{(id) => <textarea id={id} className={`${input} font-mono text-xs`} rows={4} value={cohortIds} onChange={(ev) => setCohortIds(ev.target.value)} />}</Field>
            </div>
          )}
        </fieldset>
        <div className="grid grid-cols-3 gap-3">
          <Field label="Minimum sample">{(id) => <input id={id} inputMode="numeric" className={input} value={minSample} onChange={(ev) => setMinSample(ev.target.value)} />}</Field>
          <Field label="Target sample">{(id) => <input id={id} inputMode="numeric" className={input} value={targetSample} onChange={(ev) => setTargetSample(ev.target.value)} />}</Field>
          <Field label="Confidence">
            {(id) => (
              <select id={id} className={input} value={confidence} onChange={(ev) => setConfidence(ev.target.value)}>
                <option value="90">90%</option>
                <option value="95">95%</option>
                <option value="99">99%</option>
              </select>
            )}
          </Field>
        </div>

        <fieldset>
          <legend className="text-sm font-medium text-slate-800">Criteria</legend>
          <ul className="mt-1 space-y-2">
            {criteria.map((c, i) => (
              <li key={i} className="flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 p-2" data-testid="criterion-row">
                <select aria-label={`Criterion ${i + 1}: kind`} className={small} value={c.kind} onChange={(ev) => setCriteria(criteria.map((x, j) => (j === i ? { ...x, kind: ev.target.value as CriterionRow["kind"] } : x)))}>
                  <option value="success">Success</option>
                  <option value="failure">Failure</option>
                </select>
                <select aria-label={`Criterion ${i + 1}: metric`} className={small} value={c.metric} onChange={(ev) => setCriteria(criteria.map((x, j) => (j === i ? { ...x, metric: ev.target.value as MetricId } : x)))}>
                  {METRIC_IDS.map((m) => (
                    <option key={m} value={m}>{METRICS[m].label}</option>
                  ))}
                </select>
                <select aria-label={`Criterion ${i + 1}: comparison`} className={small} value={c.comparison} onChange={(ev) => setCriteria(criteria.map((x, j) => (j === i ? { ...x, comparison: ev.target.value as CriterionRow["comparison"] } : x)))}>
                  <option value="gt">&gt;</option>
                  <option value="lt">&lt;</option>
                </select>
                <label className="flex items-center gap-1 text-xs text-slate-600 [&>input]:w-24">
                  <input aria-label={`Criterion ${i + 1}: threshold in ${UNIT_SUFFIX[METRICS[c.metric].unit]}`} className={small} value={c.threshold} onChange={(ev) => setCriteria(criteria.map((x, j) => (j === i ? { ...x, threshold: ev.target.value } : x)))} />
                  {UNIT_SUFFIX[METRICS[c.metric].unit]}
                </label>
                <input aria-label={`Criterion ${i + 1}: judged after this many days (optional)`} placeholder="after days" className={`${small} w-20`} value={c.afterDays} onChange={(ev) => setCriteria(criteria.map((x, j) => (j === i ? { ...x, afterDays: ev.target.value } : x)))} />
                <Button variant="ghost" onClick={() => setCriteria(criteria.filter((_, j) => j !== i))} disabled={criteria.length === 1}>
                  Remove<span className="sr-only"> criterion {i + 1}</span>
                </Button>
              </li>
            ))}
          </ul>
          <Button variant="secondary" className="mt-2" onClick={() => setCriteria([...criteria, { kind: "success", metric: "nps", comparison: "gt", threshold: "50", afterDays: "" }])}>
            Add a criterion
          </Button>
        </fieldset>

        <fieldset>
          <legend className="text-sm font-medium text-slate-800">Phases</legend>
          <ul className="mt-1 space-y-2">
            {phases.map((p, i) => (
              <li key={i} className="grid grid-cols-2 gap-2 sm:grid-cols-[1fr_9rem_9rem_auto]">
                <input aria-label={`Phase ${i + 1}: name`} className={`${input} col-span-2 sm:col-span-1`} value={p.name} onChange={(ev) => setPhases(phases.map((x, j) => (j === i ? { ...x, name: ev.target.value } : x)))} />
                <input aria-label={`Phase ${i + 1}: from`} type="date" className={input} value={p.start} onChange={(ev) => setPhases(phases.map((x, j) => (j === i ? { ...x, start: ev.target.value } : x)))} />
                <input aria-label={`Phase ${i + 1}: until`} type="date" className={input} value={p.end} onChange={(ev) => setPhases(phases.map((x, j) => (j === i ? { ...x, end: ev.target.value } : x)))} />
                <Button variant="ghost" onClick={() => setPhases(phases.filter((_, j) => j !== i))}>
                  Remove<span className="sr-only"> phase {i + 1}</span>
                </Button>
              </li>
            ))}
          </ul>
          <Button variant="secondary" className="mt-2" onClick={() => setPhases([...phases, { name: "", start, end: start }])}>
            Add a phase
          </Button>
        </fieldset>

        {(problem ?? serverError) && (
          <p role="alert" className="rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-900">
            {problem ?? serverError}
          </p>
        )}
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button variant="secondary" onClick={() => onClose()} disabled={pending}>Cancel</Button>
          <Button type="submit" disabled={pending}>{pending ? "Saving…" : mode === "edit" ? "Save" : "Create the experiment"}</Button>
        </div>
      </form>
    </Dialog>
  );
}

function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="text-sm font-medium text-slate-800">{label}</label>
      <div className="mt-1">{children(id)}</div>
    </div>
  );
}
