import type { Catalog, CatalogData } from "../../shared/catalog";
import { accountRowById } from "../db/queries/accounts";
import type { Store } from "../db/queries/store";

/**
 * The catalog as a viewer may see it, in display order: the public plans, and the signed-in
 * customer's own plan when it is not public (a retired or private plan); every plan for an operator.
 */
export async function catalogFor(db: Store, catalog: Catalog, viewer: { role: "customer" | "operator"; accountId: string | null } | null): Promise<CatalogData> {
  if (viewer?.role === "operator") return catalog.data;
  const own = viewer?.accountId ? (await accountRowById(db, viewer.accountId))?.planId : undefined;
  return catalog.view((p) => p.public || p.id === own);
}
