import { useState } from "react";
import { Badge } from "../../../ui/badge";
import { Button } from "../../../ui/button";
import { ConfirmDialog, Consequences } from "../../../ui/confirm-dialog";
import { PageHeader } from "../../../ui/page-header";
import { ModeBadge } from "../components/mode-badge";
import { QueryState } from "../components/query-state";
import { Section } from "../components/section";
import { TableFrame, Td, Th, THead } from "../components/table";
import { When } from "../components/when";
import { useCatalogOverview } from "./use-catalog-overview";
import { useOfferTerms } from "./use-offer-terms";

type Offer = { planId: string; planName: string; version: number; accounts: number; kept: string; current: string };

const count = new Intl.NumberFormat("en-US");
const MARK = { added: "Added", removed: "Removed", changed: "Changed" } as const;
const TONE = { added: "good", removed: "bad", changed: "neutral" } as const;

/**
 * The catalog in use, read-only: the provider edits the catalog file and restarts (or runs
 * `headroom catalog check FILE` first). Each plan shows its versions: accounts keep the version they
 * are on until they take the current terms.
 */
export function CatalogPage() {
  const overview = useCatalogOverview();
  const offer = useOfferTerms();
  const [target, setTarget] = useState<Offer | null>(null);
  const [announcement, setAnnouncement] = useState("");

  function close(open: boolean) {
    if (open || offer.isPending) return;
    offer.reset();
    setTarget(null);
  }

  return (
    <>
      <PageHeader
        title="Catalog"
        description={
          <>
            The plans and meters Headroom sells, read from the catalog file at start. To change them, edit the file, check it with{" "}
            <code className="rounded bg-slate-100 px-1 py-0.5 text-xs">npm run headroom -- catalog check FILE</code> and restart. New prices or caps become a new version of the plan; accounts keep theirs until they take the new terms.
          </>
        }
      />
      <p role="status" aria-live="polite" className={announcement ? "mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900" : "sr-only"}>
        {announcement}
      </p>
      <QueryState query={overview} what="the catalog">
        {(data) => (
          <>
            <p className="text-sm text-slate-700" data-testid="catalog-meters">
              Prices in {data.catalog.currency}. {data.catalog.meters.length === 1 ? "Meter" : "Meters"}: {data.catalog.meters.map((m) => `${m.unit} (${m.id})`).join(", ")}.
            </p>
            <Section title="Plans" description="In the order customers see them. Versions newest first.">
              <TableFrame label="Plans and their versions" minWidth={820} testId="catalog-plans">
                <THead>
                  <tr>
                    <Th>Plan</Th>
                    <Th>Version</Th>
                    <Th>Terms</Th>
                    <Th numeric>Accounts</Th>
                    <Th><span className="sr-only">Actions</span></Th>
                  </tr>
                </THead>
                <tbody className="divide-y divide-slate-100">
                  {data.plans.flatMap((p) =>
                    p.versions.map((v, i) => (
                      <tr key={`${p.id}@${v.version}`} data-testid="catalog-version-row" data-plan={p.id} data-version={v.version}>
                        <Td className="align-top">
                          {i === 0 && (
                            <div>
                              <span className="font-medium text-slate-900">{p.name}</span> <span className="font-mono text-xs text-slate-600">{p.id}</span>
                              <div className="mt-1 flex flex-wrap gap-1.5">
                                {!p.public && <Badge tone="neutral">not offered</Badge>}
                                <ModeBadge mode={p.enforcement} />
                              </div>
                            </div>
                          )}
                        </Td>
                        <Td className="whitespace-nowrap align-top">
                          v{v.version} {v.current ? <Badge tone="good">current</Badge> : <span className="text-xs text-slate-600">kept by its accounts</span>}
                          {v.sinceMs !== null && (
                            <div className="text-xs text-slate-600">
                              recorded <When ms={v.sinceMs} dateOnly />
                            </div>
                          )}
                        </Td>
                        <Td className="align-top text-slate-800">{v.terms}</Td>
                        <Td numeric className="align-top">{count.format(v.accounts)}</Td>
                        <Td className="text-right align-top">
                          {!v.current && v.accounts > 0 && (
                            <Button
                              variant="secondary"
                              className="whitespace-nowrap px-2.5 py-1"
                              onClick={() => {
                                setAnnouncement("");
                                setTarget({ planId: p.id, planName: p.name, version: v.version, accounts: v.accounts, kept: v.terms, current: p.terms });
                              }}
                            >
                              Offer the current terms…<span className="sr-only"> to {p.name} v{v.version}</span>
                            </Button>
                          )}
                        </Td>
                      </tr>
                    )),
                  )}
                </tbody>
              </TableFrame>
            </Section>
            <Section title="What the last file changed" description={data.lastChange ? <>Loaded <When ms={data.lastChange.atMs} /> from {data.lastChange.source}.</> : "Only one catalog file has been loaded so far."}>
              {data.lastChange && data.lastChange.changes.length > 0 && (
                <ul className="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white" data-testid="catalog-changes">
                  {data.lastChange.changes.map((c) => (
                    <li key={`${c.kind}:${c.subject}:${c.text}`} className="flex items-start gap-3 px-4 py-2.5 text-sm">
                      <Badge tone={TONE[c.kind]}>{MARK[c.kind]}</Badge>
                      <span>
                        <span className="font-medium text-slate-900">{c.subject}</span>: {c.text}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </Section>
          </>
        )}
      </QueryState>
      <ConfirmDialog
        open={target !== null}
        onOpenChange={close}
        title={target ? `Offer ${target.planName}'s current terms to ${count.format(target.accounts)} account${target.accounts === 1 ? "" : "s"} on v${target.version}?` : "Offer the current terms?"}
        confirmLabel="Send the notices"
        pendingLabel="Sending…"
        pending={offer.isPending}
        error={offer.isError ? offer.error.message : null}
        onConfirm={() => {
          if (!target) return false;
          offer.mutate(
            { planId: target.planId, version: target.version },
            {
              onSuccess: (r) => {
                setAnnouncement(`${count.format(r.told)} account${r.told === 1 ? "" : "s"} on ${target.planName} v${target.version} told about the current terms.`);
                offer.reset();
                setTarget(null);
              },
            },
          );
        }}
      >
        {target && (
          <Consequences
            items={[
              <>Each account gets a notice (in the portal and by e-mail) with both versions: what it keeps ({target.kept}) and the current terms ({target.current}).</>,
              <>Nothing changes for them: an account moves to the current terms only if its customer chooses to, with a quote and a consent, from the Plans page.</>,
              <>An account is told once per version; sending again tells only accounts that were not told yet.</>,
            ]}
          />
        )}
      </ConfirmDialog>
    </>
  );
}
