import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogData } from "../../shared/catalog";
import { parseCatalog } from "../../shared/catalog-file";
import { catalogFileArbitrary } from "../../shared/testing/catalog-arbitrary";
import { ManualClock } from "../lib/clock";
import { startTestServer, TEST_SERVER_TOKEN } from "../testing/test-server";

const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" };

describe("a catalog of the provider's own", () => {
  it("every plan id round-trips: accounts are created on it through /v1, read back on it, and the catalog the portal gets names it", async () => {
    await fc.assert(
      fc.asyncProperty(catalogFileArbitrary({ ids: true }), async (file) => {
        const catalog = parseCatalog(file);
        const srv = await startTestServer({ clock: new ManualClock(Date.parse("2026-11-16T12:00:00Z")), catalog });
        try {
          for (const [i, plan] of catalog.plans.entries()) {
            const created = await fetch(`${srv.url}/v1/accounts`, { method: "POST", headers: auth, body: JSON.stringify({ name: `Account ${i}`, email: `a${i}@example.com`, planId: plan.id }) });
            expect(created.status).toBe(201);
            const { id } = (await created.json()) as { id: string };
            const read = (await (await fetch(`${srv.url}/v1/accounts/${id}`, { headers: auth })).json()) as { plan: string };
            expect(read.plan).toBe(plan.id);
          }
          // The public catalog (what a signed-out portal renders) holds exactly the public plans, in the file's order.
          const listed = (await (await fetch(`${srv.url}/trpc/plans.list`)).json()) as { result: { data: CatalogData } };
          expect(listed.result.data.plans.map((p) => p.id)).toEqual(catalog.publicPlans.map((p) => p.id));
          expect(listed.result.data.currency).toBe(catalog.currency);
          // A plan id the catalog does not hold is refused with the ids it does.
          const unknown = await fetch(`${srv.url}/v1/accounts`, { method: "POST", headers: auth, body: JSON.stringify({ name: "X", email: "x@example.com", planId: "no-such-plan-id-here" }) });
          expect(unknown.status).toBe(400);
          expect(JSON.stringify(await unknown.json())).toContain(catalog.plans[0]!.id);
        } finally {
          await srv.stop();
        }
      }),
      { numRuns: 8 },
    );
  });
});
