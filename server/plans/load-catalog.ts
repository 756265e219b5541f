import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Catalog } from "../../shared/catalog";
import { CatalogError, parseCatalog } from "../../shared/catalog-file";
import { planIdsInUse } from "../db/queries/plans";
import type { Store } from "../db/queries/store";

/** The demo catalog that ships with Headroom, used when CATALOG_PATH is not set. */
export const DEMO_CATALOG_PATH = resolve(import.meta.dirname, "../../headroom.catalog.json");

/**
 * Reads and checks a catalog file. Anything wrong throws one CatalogError line that names the file,
 * then the plan (or meter) and the field: `Invalid catalog ./plans.json: plan "pro": price.month: expected a price ≥ 0`.
 */
export function loadCatalog(path: string = DEMO_CATALOG_PATH): Catalog {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CatalogError(`Cannot read the catalog ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(`Invalid catalog ${path}: not JSON (${(err as Error).message})`);
  }
  try {
    return parseCatalog(json);
  } catch (err) {
    if (err instanceof CatalogError) throw new CatalogError(`Invalid catalog ${path}: ${err.message}`);
    throw err;
  }
}

/**
 * Every plan the data still needs (accounts on it, changes waiting to move to it) must be in the
 * catalog. A plan the provider stops selling stays in the file with `"public": false`; one removed
 * outright stops start-up here, naming it and how many accounts are on it.
 */
export async function checkCatalogCovers(db: Store, catalog: Catalog, path: string): Promise<void> {
  for (const [planId, accounts] of await planIdsInUse(db)) {
    if (catalog.has(planId)) continue;
    const who = accounts > 0 ? `${accounts} account${accounts === 1 ? " is" : "s are"} on it` : "a waiting plan change moves to it";
    throw new CatalogError(`The catalog ${path} has no plan "${planId}", and ${who}: keep it in the file (with "public": false to stop offering it).`);
  }
}
