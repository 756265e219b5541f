import { useState } from "react";
import { Button } from "../../../ui/button";
import { Section } from "../components/section";
import { When } from "../components/when";
import type { ExperimentData } from "./experiment-text";
import { actorInWords } from "../lib/actor-words";
import { useAddExperimentNote } from "./use-save-experiment";

const KIND: Record<string, string> = {
  created: "Created",
  edited: "Edited before the start",
  note: "Note",
  ended: "Ended",
  "rollback.grandfather_free": "Rollback: grandfathered on free terms",
  "rollback.offer_opt_out": "Rollback: opt-out to Free offered",
  "rollback.pause_billing": "Rollback: billing paused",
  "rollback.refund_affected": "Rollback: affected invoices refunded",
};

function summary(e: ExperimentData["events"][number]): string {
  const d = e.details as { changed?: string[]; text?: string; accounts?: string[] };
  if (e.kind === "edited" && d.changed) return d.changed.length ? `changed: ${d.changed.join(", ")}` : "no change";
  if (e.kind === "note" && d.text) return d.text;
  if (e.kind.startsWith("rollback.") && d.accounts) return `${d.accounts.length} ${d.accounts.length === 1 ? "account" : "accounts"}`;
  return "";
}

/** The experiment's trail, append-only: its edits before the start, then notes, rollback steps and its end. */
export function TrailSection({ data }: { data: ExperimentData }) {
  const note = useAddExperimentNote();
  const [text, setText] = useState("");
  return (
    <Section title="Trail" description="Append-only: the definition is fixed once the experiment starts; what happens after is added here.">
      <ol className="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white text-sm" data-testid="trail">
        {data.events.map((e) => (
          <li key={e.id} className="flex flex-wrap items-baseline gap-x-3 gap-y-0.5 px-4 py-2.5">
            <span className="text-xs text-slate-600">
              <When ms={e.atMs} />
            </span>
            <span className="font-medium text-slate-900">{KIND[e.kind] ?? e.kind}</span>
            <span className="text-slate-700">{summary(e)}</span>
            <span className="text-xs text-slate-500" title={e.actor}>by {actorInWords(e.actor).who}</span>
          </li>
        ))}
      </ol>
      <form
        className="mt-3 flex flex-col gap-2 sm:flex-row"
        onSubmit={(ev) => {
          ev.preventDefault();
          note.mutate({ experimentId: data.experiment.id, text }, { onSuccess: () => setText("") });
        }}
      >
        <label className="sr-only" htmlFor="experiment-note">Add a note to the trail</label>
        <input id="experiment-note" value={text} onChange={(e) => setText(e.target.value)} maxLength={2000} placeholder="Add a note to the trail (a decision, an observation)" className="min-w-0 flex-1 rounded-lg border border-slate-300 px-3 py-2 text-sm" />
        <Button type="submit" variant="secondary" disabled={note.isPending || text.trim() === ""}>
          {note.isPending ? "Adding…" : "Add note"}
        </Button>
      </form>
      {note.isError && <p role="alert" className="mt-2 text-sm text-rose-800">{note.error.message}</p>}
    </Section>
  );
}
