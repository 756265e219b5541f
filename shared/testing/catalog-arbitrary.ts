import fc from "fast-check";
import type { Catalog } from "../catalog";
import { parseCatalog, type CatalogFileInput } from "../catalog-file";

/**
 * Random valid catalogs for property tests: 1–3 meters and 1–8 plans (at least one public), each
 * plan with terms for every meter — capped, capped with overage beyond a month cap, metered, or
 * unlimited — parsed by the real schema, so every catalog is one a provider could load.
 */

type Limits = CatalogFileInput["plans"][number]["limits"][string];

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const rateCaps = fc.record({ minute: optional(fc.integer({ min: 1, max: 2_000 })), day: optional(fc.integer({ min: 1, max: 60_000 })) });

/** One meter's terms on a plan. Metered terms carry no rate caps: a metered meter fits any traffic. */
export const meterLimitsArbitrary: fc.Arbitrary<Limits> = fc.oneof(
  fc.constant({}),
  fc.record({ rate: rateCaps, month: optional(fc.integer({ min: 1, max: 1_000_000 })) }).map(({ rate, month }) => ({ ...rate, ...(month !== undefined ? { month } : {}) })),
  fc
    .record({ rate: rateCaps, month: fc.integer({ min: 1, max: 1_000_000 }), overagePer1000Minor: fc.integer({ min: 1, max: 2_000 }) })
    .map(({ rate, month, overagePer1000Minor }) => ({ ...rate, month, overagePer1000Minor })),
  fc.integer({ min: 1, max: 2_000 }).map((meteredPer1000Minor) => ({ meteredPer1000Minor })),
).map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) as Limits);

/** Ids as a provider might choose them: any the schema takes. */
const idArbitrary = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,15}$/);

/**
 * A catalog file: meters m0…, plans p0… (the first public), prices in USD cents; with `ids`, ids a
 * provider might choose and a currency of several (EUR, JPY's zero decimals, GBP).
 */
export const catalogFileArbitrary = (o: { plans?: { min: number; max: number }; meters?: { min: number; max: number }; ids?: boolean } = {}): fc.Arbitrary<CatalogFileInput> =>
  fc
    .record({
      meterCount: fc.integer(o.meters ?? { min: 1, max: 3 }),
      planCount: fc.integer(o.plans ?? { min: 1, max: 8 }),
      planIds: o.ids ? fc.uniqueArray(idArbitrary, { minLength: 8, maxLength: 8 }) : fc.constant(null),
      meterIds: o.ids ? fc.uniqueArray(idArbitrary, { minLength: 3, maxLength: 3 }) : fc.constant(null),
      currency: o.ids ? fc.constantFrom("USD", "EUR", "JPY", "GBP") : fc.constant("USD"),
    })
    .chain(({ meterCount, planCount, planIds, meterIds, currency }) =>
      fc
        .array(
          fc.record({
            price: fc.integer({ min: 0, max: 200_000 }),
            public: fc.boolean(),
            limits: fc.array(meterLimitsArbitrary, { minLength: meterCount, maxLength: meterCount }),
          }),
          { minLength: planCount, maxLength: planCount },
        )
        .map((plans): CatalogFileInput => {
          const meters = Array.from({ length: meterCount }, (_, i) => ({ id: meterIds?.[i] ?? `m${i}`, unit: i === 0 ? "API calls" : `tool calls ${i}` }));
          return {
            currency,
            meters,
            plans: plans.map((p, i) => ({
              id: planIds?.[i] ?? `p${i}`,
              name: `Plan ${i}`,
              price: { month: p.price },
              public: i === 0 || p.public,
              limits: Object.fromEntries(meters.map((m, j) => [m.id, p.limits[j]!])),
            })),
          };
        }),
    );

/** A parsed random catalog. */
export const catalogArbitrary = (o?: Parameters<typeof catalogFileArbitrary>[0]): fc.Arbitrary<Catalog> => catalogFileArbitrary(o).map(parseCatalog);
