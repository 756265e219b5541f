import type { ReactNode } from "react";
import type { Catalog } from "../../../../shared/catalog";
import { useCatalog } from "../../../lib/use-catalog";
import { ErrorState, LoadingBlock } from "../../../ui/states";

/**
 * Renders children with the plan catalog once it is loaded, with the console's loading and error
 * states (in the words of `what` the page shows) until then, so no plan is named before it is known.
 */
export function WithCatalog({ what, rows = 2, children }: { what: string; rows?: number; children: (catalog: Catalog) => ReactNode }) {
  const catalog = useCatalog();
  if (catalog.data) return <>{children(catalog.data)}</>;
  if (catalog.isError) return <ErrorState title={`We could not load ${what}`} message={catalog.error.message} onRetry={() => catalog.refetch()} />;
  return <LoadingBlock rows={rows} label={`Loading ${what}…`} />;
}
