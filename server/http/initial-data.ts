import { dehydrate, type DehydratedState, QueryClient } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { appRouter } from "../trpc/router";
import type { Context } from "../trpc/trpc";

/** The element id of the first reads' JSON in index.html; client/lib/initial-data.ts reads it before the first render. */
export const INITIAL_DATA_ELEMENT_ID = "headroom-initial-data";

/** The portal's pages (client/app/paths.ts): a signed-in customer's notice banner heads each of them. */
const PORTAL_PAGES = ["/usage", "/plans", "/keys", "/billing", "/notices", "/settings", "/support"];

/**
 * The reads a page makes first, answered while index.html is sent: who is signed in, and for a
 * customer the notice banner and, on the usage page, its numbers. The browser draws the page from
 * them without a round trip of its own (a phone's first paint with data comes one request sooner).
 * The same procedures, the same session and the same query keys as the portal's own requests
 * (`createTRPCOptionsProxy` on both sides): a read that fails is left out and the page asks itself.
 */
export async function initialData(path: string, ctx: Context): Promise<DehydratedState> {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const trpc = createTRPCOptionsProxy({ router: appRouter, ctx, queryClient });
  const reads: Promise<void>[] = [queryClient.prefetchQuery(trpc.session.me.queryOptions())];
  const customer = ctx.session?.role === "customer";
  const page = PORTAL_PAGES.find((p) => path === p || path.startsWith(`${p}/`));
  if (customer && page) {
    reads.push(queryClient.prefetchQuery(trpc.notices.banner.queryOptions()));
    if (page === "/usage") {
      reads.push(
        queryClient.prefetchQuery(trpc.usage.overview.queryOptions()),
        queryClient.prefetchQuery(trpc.usage.history.queryOptions()),
        queryClient.prefetchQuery(trpc.plans.list.queryOptions()),
      );
    }
  }
  await Promise.all(reads);
  return dehydrate(queryClient);
}

/** index.html with the first reads as a JSON data block ("<" escaped: no value can close it; not script, so the CSP holds). */
export function withInitialData(html: string, state: DehydratedState): string {
  const json = JSON.stringify(state).replace(/</g, "\\u003c");
  return html.replace("</head>", `<script type="application/json" id="${INITIAL_DATA_ELEMENT_ID}">${json}</script></head>`);
}
