import fc from "fast-check";
import type { CatalogFileInput } from "../catalog-file";

const WINDOW_CAP = fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined });

/** One meter's terms on a plan: any caps, and overage (with a month cap) or metered billing or neither. */
const limitsArb = fc.oneof(
  fc.record({ minute: WINDOW_CAP, day: WINDOW_CAP, month: WINDOW_CAP }),
  fc.record({ minute: WINDOW_CAP, day: WINDOW_CAP, month: fc.integer({ min: 1, max: 1_000_000 }), overagePer1000Minor: fc.integer({ min: 0, max: 10_000 }) }),
  fc.record({ minute: WINDOW_CAP, day: WINDOW_CAP, meteredPer1000Minor: fc.integer({ min: 0, max: 10_000 }) }),
);

const idArb = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,15}$/);

/**
 * Random valid catalog files: 1–8 plans with provider-chosen ids, `meters` meters (1 unless asked),
 * monthly prices, at least one public plan. Undefined caps are dropped, as a file would leave them out.
 */
export function catalogFileArb(opts: { meters?: { min: number; max: number } } = {}): fc.Arbitrary<CatalogFileInput> {
  const { min, max } = opts.meters ?? { min: 1, max: 1 };
  return fc
    .record({
      meterIds: fc.uniqueArray(idArb, { minLength: min, maxLength: max }),
      planIds: fc.uniqueArray(idArb, { minLength: 1, maxLength: 8 }),
      currency: fc.constantFrom("USD", "EUR", "JPY", "GBP"),
    })
    .chain(({ meterIds, planIds, currency }) =>
      fc
        .tuple(
          ...planIds.map((id, i) =>
            fc.record({
              id: fc.constant(id),
              name: fc.constant(`Plan ${i + 1}`),
              public: i === 0 ? fc.constant(true) : fc.boolean(),
              price: fc.record({ month: fc.integer({ min: 0, max: 1_000_000 }) }),
              limits: fc.tuple(...meterIds.map(() => limitsArb)).map((ls) => Object.fromEntries(meterIds.map((m, j) => [m, JSON.parse(JSON.stringify(ls[j]))]))),
            }),
          ),
        )
        .map(
          (plans): CatalogFileInput => ({
            currency,
            meters: meterIds.map((id) => ({ id, unit: `${id} units` })),
            plans,
          }),
        ),
    );
}
