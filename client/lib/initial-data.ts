import { type DehydratedState, hydrate, type QueryClient } from "@tanstack/react-query";

/** Same id as server/http/initial-data.ts writes (kept apart: the client bundles no server code). */
const INITIAL_DATA_ELEMENT_ID = "headroom-initial-data";

/**
 * Puts the first reads the server sent with index.html (who is signed in; on the usage page, its
 * numbers) into the query cache before the first render, so the page is drawn without asking again.
 * They count as fresh from now (the server's clock is not the browser's); the block is read once and
 * removed, so nothing later mistakes it for current.
 */
export function hydrateInitialData(queryClient: QueryClient, doc: Document | undefined = globalThis.document): void {
  // No document (the client's modules imported by unit tests under Node): nothing to read.
  const element = doc?.getElementById(INITIAL_DATA_ELEMENT_ID);
  if (!element) return;
  element.remove();
  let state: DehydratedState;
  try {
    state = JSON.parse(element.textContent ?? "") as DehydratedState;
  } catch {
    return; // Unreadable: the pages ask for their data themselves.
  }
  const now = Date.now();
  for (const query of state.queries ?? []) query.state.dataUpdatedAt = now;
  hydrate(queryClient, state);
}
