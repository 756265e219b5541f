import { Catalog, termsKey, termsOf, type CatalogData, type PlanTermsData, type PlanVersionData } from "../../shared/catalog";
import { insertCatalogLoad, insertPlanVersions, lastCatalogLoads, planVersionRows } from "../db/queries/catalog";
import type { Store } from "../db/queries/store";
import type { Clock } from "../lib/clock";

async function recordedVersions(db: Store): Promise<PlanVersionData[]> {
  return (await planVersionRows(db)).map((r) => ({ planId: r.planId, version: r.version, terms: JSON.parse(r.termsJson) as PlanTermsData, createdAtMs: r.createdAtMs }));
}

/**
 * Records what a catalog file sells, as versions: a plan seen for the first time is version 1; a
 * plan whose terms (prices, yearly-quota rule, limits per meter) differ from its latest version gets
 * the next one. Accounts keep the version they are on. The file itself is kept when it differs from
 * the last one loaded, for the console's "what changed". Returns the catalog with every version.
 */
export async function recordCatalog(db: Store, clock: Clock, file: Catalog, source: string): Promise<Catalog> {
  const now = clock.now();
  const stored = await recordedVersions(db);
  const latest = new Map<string, PlanVersionData>();
  for (const v of stored) if ((latest.get(v.planId)?.version ?? 0) < v.version) latest.set(v.planId, v);
  const added: PlanVersionData[] = [];
  for (const p of file.data.plans) {
    const terms = termsOf(p);
    const last = latest.get(p.id);
    if (last && termsKey(last.terms) === termsKey(terms)) continue;
    added.push({ planId: p.id, version: (last?.version ?? 0) + 1, terms, createdAtMs: now });
  }
  await insertPlanVersions(
    db,
    added.map((v) => ({ planId: v.planId, version: v.version, termsJson: JSON.stringify(v.terms), currency: file.currency, createdAtMs: v.createdAtMs })),
  );
  const dataJson = JSON.stringify(file.data);
  const [last] = await lastCatalogLoads(db, 1);
  if (last?.dataJson !== dataJson) await insertCatalogLoad(db, { loadedAtMs: now, dataJson, source });
  return new Catalog(file.data, [...stored, ...added]);
}

/**
 * The catalog the server runs on, for a command that must not change it: the file the server last
 * loaded (`catalog_loads`) with every recorded version, without recording anything. A database no
 * server has started on yet answers with `file` as it is. So `headroom accounts list` run without
 * CATALOG_PATH against a provider's database neither records the demo's plans as new versions nor
 * reads the provider's accounts with the demo's terms.
 */
export async function catalogInUse(db: Store, file: Catalog): Promise<Catalog> {
  const [last] = await lastCatalogLoads(db, 1);
  return new Catalog(last ? (JSON.parse(last.dataJson) as CatalogData) : file.data, await recordedVersions(db));
}
