import { termsKey, termsOf, type Catalog, type CatalogData } from "../../shared/catalog";
import { catalogDiffLines, diffCatalogs, type CatalogChange } from "../../shared/catalog-diff";
import { CatalogError } from "../../shared/catalog-file";
import { termsLine } from "../../shared/plan-terms";
import { accountsPerPlanVersion, lastCatalogLoads } from "../db/queries/catalog";
import { planModes } from "../db/queries/accounts";
import { planIdsInUse } from "../db/queries/plans";
import type { Store } from "../db/queries/store";
import { loadCatalog } from "./load-catalog";

const count = new Intl.NumberFormat("en-US");

export interface PlanVersionView {
  version: number;
  current: boolean;
  /** When the version was first loaded (unix ms; null: before versions were recorded). */
  sinceMs: number | null;
  terms: string;
  priceMinor: number;
  accounts: number;
}

export interface CatalogOverview {
  catalog: CatalogData;
  plans: Array<{ id: string; name: string; public: boolean; enforcement: string; terms: string; accounts: number; versions: PlanVersionView[] }>;
  /** What the last file loaded changed against the one before it (null: only one file was ever loaded). */
  lastChange: { atMs: number; source: string; changes: CatalogChange[] } | null;
}

/** The catalog in use as the console shows it: every plan with its versions and how many accounts are on each. */
export async function catalogOverview(db: Store, catalog: Catalog): Promise<CatalogOverview> {
  const onVersion = await accountsPerPlanVersion(db);
  // The mode a plan runs in: the operator's flip, else the catalog's default.
  const modes = await planModes(db);
  const plans = catalog.plans.map((p) => {
    const recorded = catalog.versionsOf(p.id);
    const numbers = recorded.length ? recorded.map((v) => v.version) : [p.version];
    const versions = numbers
      .map((n): PlanVersionView => {
        const plan = catalog.planAt(p.id, n);
        return {
          version: n,
          current: n === p.version,
          sinceMs: recorded.find((v) => v.version === n)?.createdAtMs ?? null,
          terms: termsLine(plan, catalog),
          priceMinor: plan.priceMinor,
          accounts: onVersion.find((r) => r.planId === p.id && r.planVersion === n)?.accounts ?? 0,
        };
      })
      .reverse();
    return { id: p.id, name: p.name, public: p.public, enforcement: modes.get(p.id) ?? p.enforcement, terms: termsLine(p, catalog), accounts: versions.reduce((s, v) => s + v.accounts, 0), versions };
  });
  const [last, before] = await lastCatalogLoads(db, 2);
  const lastChange = last && before ? { atMs: last.loadedAtMs, source: last.source, changes: diffCatalogs(JSON.parse(before.dataJson) as CatalogData, JSON.parse(last.dataJson) as CatalogData) } : null;
  return { catalog: catalog.data, plans, lastChange };
}

/** `headroom catalog show`: the catalog in use, plan by plan, with versions and accounts. */
export async function describeCatalog(db: Store, catalog: Catalog): Promise<{ lines: string[]; data: CatalogOverview }> {
  const overview = await catalogOverview(db, catalog);
  const lines = [`Currency ${catalog.currency}; meters: ${catalog.meters.map((m) => `${m.id} (${m.unit})`).join(", ")}`, ""];
  for (const p of overview.plans) {
    lines.push(`${p.id.padEnd(14)} ${p.name}${p.public ? "" : " (not offered)"}, ${p.enforcement} by default, ${count.format(p.accounts)} account${p.accounts === 1 ? "" : "s"}`);
    for (const v of p.versions) lines.push(`  v${v.version}${v.current ? " (current)" : ""}: ${v.terms} — ${count.format(v.accounts)} account${v.accounts === 1 ? "" : "s"}`);
  }
  return { lines, data: overview };
}

export interface CatalogCheck {
  ok: boolean;
  /** The file's problem, or the plans it drops that accounts are on. */
  problems: string[];
  changes: CatalogChange[];
  /** Plans whose terms change: the version they will get, and how many accounts keep the old one. */
  newVersions: Array<{ planId: string; version: number; accountsKeepingOlder: number }>;
}

/**
 * `headroom catalog check FILE`: whether the file can be loaded in place of the catalog in use, and
 * what it would change. Invalid, or dropping a plan accounts are on: not ok, with the reason.
 */
export async function checkCatalogFile(db: Store, current: Catalog, path: string): Promise<{ lines: string[]; data: CatalogCheck }> {
  let next: Catalog;
  try {
    next = loadCatalog(path);
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    return { lines: [err.message, "", "Nothing was changed."], data: { ok: false, problems: [err.message], changes: [], newVersions: [] } };
  }
  const problems: string[] = [];
  for (const [planId, accounts] of await planIdsInUse(db)) {
    if (!next.has(planId)) problems.push(`plan "${planId}" is not in the file, and ${accounts > 0 ? `${accounts} account${accounts === 1 ? " is" : "s are"} on it` : "a waiting plan change moves to it"}: keep it (with "public": false to stop offering it).`);
  }
  const onVersion = await accountsPerPlanVersion(db);
  const newVersions = next.data.plans.flatMap((p) => {
    const now = current.data.plans.find((c) => c.id === p.id);
    if (!now || termsKey(termsOf(now)) === termsKey(termsOf(p))) return [];
    const version = current.plan(p.id).version + 1;
    return [{ planId: p.id, version, accountsKeepingOlder: onVersion.filter((r) => r.planId === p.id).reduce((s, r) => s + r.accounts, 0) }];
  });
  const changes = diffCatalogs(current.data, next.data);
  const lines = [
    ...(changes.length ? [`Loading ${path} would change:`, ...catalogDiffLines(changes).map((l) => `  ${l}`)] : [`${path} says the same as the catalog in use.`]),
    ...newVersions.map((v) => `  plan "${v.planId}" gets version ${v.version}: new accounts get its new terms; the ${count.format(v.accountsKeepingOlder)} on it now stay on their version until they take the new terms.`),
    ...(problems.length ? ["", "It cannot be loaded:", ...problems.map((p) => `  ${p}`)] : []),
  ];
  return { lines, data: { ok: problems.length === 0, problems, changes, newVersions } };
}
