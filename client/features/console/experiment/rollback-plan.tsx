import { useState } from "react";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { ConfirmDialog, Consequences } from "../../../ui/confirm-dialog";
import { LoadingBlock } from "../../../ui/states";
import { Section } from "../components/section";
import { ROLLBACK_ORDER, type ExperimentData, type RollbackAction } from "./experiment-text";
import { useRollbackPreview, useRunRollback } from "./use-rollback";

/**
 * The rollback plan, within reach: each step opens its preview (what it does, to which accounts)
 * and runs only when confirmed, on exactly the accounts shown. Nothing runs by itself.
 */
export function RollbackPlan({ data, onAnnounce }: { data: ExperimentData; onAnnounce: (m: string) => void }) {
  const [open, setOpen] = useState<RollbackAction | null>(null);
  const preview = useRollbackPreview(data.experiment.id, open);
  const run = useRunRollback();
  const step = ROLLBACK_ORDER.find((s) => s.action === open);
  const advised = data.scorecard.rollbackAdvised;
  const ran = new Set(data.events.filter((e) => e.kind.startsWith("rollback.")).map((e) => e.kind.slice("rollback.".length)));

  function close(o: boolean) {
    if (o || run.isPending) return;
    run.reset();
    setOpen(null);
  }

  const p = preview.data;
  return (
    <Section
      title="Rollback plan"
      testId="rollback"
      description={
        advised
          ? "Advised now: a failure criterion is met or a guardrail broke. Each step asks for confirmation, names the accounts it touches and is audited."
          : "Not needed now: no failure criterion is met and every guardrail holds. The steps stay within reach; each asks for confirmation first."
      }
    >
      {advised && (
        <p className="mb-3 rounded-lg border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-900" data-testid="rollback-advised">
          {data.scorecard.criteria.some((c) => c.kind === "failure" && c.verdict === "met") ? "A failure criterion is met. " : ""}
          {data.scorecard.guardrails
            .filter((g) => g.broken)
            .map((g) => `Guardrail broken: ${g.label.toLowerCase()} (${g.detail}).`)
            .join(" ")}
        </p>
      )}
      <ol className="grid gap-3 sm:grid-cols-2">
        {ROLLBACK_ORDER.map((s, i) => (
          <li key={s.action} className="flex items-start justify-between gap-3 rounded-xl border border-slate-200 bg-white px-4 py-3 shadow-sm">
            <div>
              <p className="text-sm font-medium text-slate-900">
                {i + 1}. {s.label}
              </p>
              {ran.has(s.action) && (
                <p className="mt-1">
                  <Badge tone="neutral">run before (see the trail)</Badge>
                </p>
              )}
            </div>
            <Button variant="secondary" className="shrink-0" onClick={() => setOpen(s.action)}>
              Preview…<span className="sr-only"> {s.label}</span>
            </Button>
          </li>
        ))}
      </ol>
      <ConfirmDialog
        open={open !== null}
        onOpenChange={close}
        title={p?.title ?? step?.label ?? "Rollback step"}
        confirmLabel={p ? (p.nothingToDo ? "Nothing to do" : `${step?.verb ?? "Run"}: ${p.accounts.length} ${p.accounts.length === 1 ? "account" : "accounts"}`) : "Loading…"}
        pendingLabel="Running…"
        tone="danger"
        pending={run.isPending}
        disabled={!p || p.nothingToDo}
        error={run.isError ? run.error.message : preview.isError ? preview.error.message : null}
        testId="rollback-preview"
        onConfirm={() => {
          if (!p || !open) return false;
          run.mutate(
            { experimentId: data.experiment.id, action: open, accountIds: p.accounts.map((a) => a.id), confirm: true },
            {
              onSuccess: (r) => {
                onAnnounce(`${step?.label ?? "Rollback step"}: done for ${r.accounts} ${r.accounts === 1 ? "account" : "accounts"}. Recorded in the experiment's trail and the audit log.`);
                run.reset();
                setOpen(null);
              },
            },
          );
        }}
      >
        {preview.isPending ? (
          <LoadingBlock rows={2} label="Loading the preview…" />
        ) : p ? (
          <>
            <p className="mb-2 text-sm font-medium text-slate-900">What it does</p>
            <Consequences items={p.effects} />
            <p className="mb-2 mt-4 text-sm font-medium text-slate-900">
              {p.accounts.length === 0 ? "No account is touched." : `The ${p.accounts.length} ${p.accounts.length === 1 ? "account" : "accounts"} it touches`}
            </p>
            {p.accounts.length > 0 && (
              <ul className="max-h-56 divide-y divide-slate-100 overflow-y-auto rounded-lg border border-slate-200 text-sm" data-testid="rollback-accounts">
                {p.accounts.map((a, i) => (
                  <li key={`${a.id}-${i}`} className="px-3 py-2">
                    <span className="font-medium text-slate-900">{a.name}</span>
                    <span className="block text-xs text-slate-600">{a.detail}</span>
                  </li>
                ))}
              </ul>
            )}
          </>
        ) : null}
      </ConfirmDialog>
    </Section>
  );
}
