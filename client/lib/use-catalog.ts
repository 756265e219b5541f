import { useQuery } from "@tanstack/react-query";
import { Catalog, type CatalogData } from "../../shared/catalog";
import { type Trpc, useTRPC } from "./trpc";

// One Catalog per answer: every component reading the same answer gets the same instance, so
// memoised values keyed on it hold across renders and across components.
const built = new WeakMap<CatalogData, Catalog>();

/** The Catalog of one `plans.list` answer, built once per answer. */
export function catalogOf(data: CatalogData): Catalog {
  let catalog = built.get(data);
  if (!catalog) {
    catalog = new Catalog(data);
    built.set(data, catalog);
  }
  return catalog;
}

/**
 * The plan catalog as the server lets this viewer see it: the public plans and the customer's own
 * plan, or every plan for an operator. It changes only when the server starts with a new catalog
 * file (and is refetched after a plan change, with the rest of `plans`), so it is kept for minutes.
 * Pages wait for it with their own data before they name a plan; a failed refetch keeps the
 * catalog already loaded, so they show an error only when there is none.
 */
export function useCatalog() {
  return useQuery({ ...catalogQuery(useTRPC()), select: catalogOf });
}

export const catalogQuery = (trpc: Trpc) => ({ ...trpc.plans.list.queryOptions(), staleTime: 10 * 60_000 });
