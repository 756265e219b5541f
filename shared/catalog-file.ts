import { z } from "zod";
import { Catalog } from "./catalog";
import { ENFORCEMENT_MODES } from "./plans";

/**
 * The provider's catalog as data: the meters it sells and the plans that give each meter its caps
 * and prices. It is read from a JSON file (CATALOG_PATH; the demo ships `headroom.catalog.json`),
 * validated here, and then passed around as a `Catalog`. Nothing in the server or the portal names
 * a plan id; everything reads the catalog it was given.
 *
 * The server parses the file with this schema at start and `headroom catalog check` checks a new
 * file with it; the portal gets the parsed data from the server and builds its `Catalog` without it.
 */

const ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const idSchema = (what: string) => z.string().regex(ID, { message: `a ${what} id is 1–40 lower-case letters, digits, "-" or "_", starting with a letter or digit` });

const wholeNumber = (what: string) =>
  z.number({ message: `expected ${what} as a whole number` }).int({ message: `expected ${what} as a whole number` }).min(0, { message: `expected ${what} ≥ 0` }).max(Number.MAX_SAFE_INTEGER);

const currencyCodes = new Set(typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("currency") : []);

const meterSchema = z
  .object({
    id: idSchema("meter"),
    /** What customers see the meter count, in the plural: "API calls", "MCP tool calls". */
    unit: z.string().trim().min(1, { message: "expected the unit customers see, e.g. \"API calls\"" }).max(60),
  })
  .strict();

/** A plan's terms for one meter: caps per window (absent = unlimited) and how usage beyond them is billed. */
const limitsSchema = z
  .object({
    minute: wholeNumber("a cap").optional(),
    day: wholeNumber("a cap").optional(),
    /** Per billing month (the account's own billing period). */
    month: wholeNumber("a cap").optional(),
    /** Price per 1,000 units beyond the month cap, minor units; without it, usage over the cap is not billed. */
    overagePer1000Minor: wholeNumber("a price").optional(),
    /** Every unit billed at this price per 1,000, minor units; a metered meter has no month cap to go over. */
    meteredPer1000Minor: wholeNumber("a price").optional(),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.overagePer1000Minor !== undefined && l.meteredPer1000Minor !== undefined) {
      ctx.addIssue({ code: "custom", message: "a meter is billed either for overage or metered, not both", path: ["meteredPer1000Minor"] });
    }
    if (l.overagePer1000Minor !== undefined && l.month === undefined) {
      ctx.addIssue({ code: "custom", message: "overage is billed beyond the billing-month cap: give a month cap with it", path: ["overagePer1000Minor"] });
    }
    if (l.meteredPer1000Minor !== undefined && l.month !== undefined) {
      ctx.addIssue({ code: "custom", message: "a metered meter bills every unit and has no month cap to go over", path: ["month"] });
    }
  });

const planSchema = z
  .object({
    id: idSchema("plan"),
    name: z.string().trim().min(1, { message: "expected the name customers see" }).max(60),
    /** One line for the pricing page. */
    summary: z.string().max(200).default(""),
    /** Shown on the pricing page and offered in the plan-change wizard; a plan no longer sold stays in the file with `false`. */
    public: z.boolean().default(true),
    /** Default enforcement for accounts on the plan (an account can have its own). */
    enforcement: z.enum(ENFORCEMENT_MODES).default("shadow"),
    /** Shares of a cap at which customers are warned, ascending, each above 0 and at most 1 (1 = reached). */
    thresholds: z
      .array(z.number().gt(0, { message: "expected a share above 0" }).max(1, { message: "expected a share of at most 1" }))
      .min(1)
      .refine((t) => t.every((v, i) => i === 0 || v > t[i - 1]!), { message: "expected ascending shares, e.g. [0.8, 1]" })
      .default([0.8, 1]),
    /** Base price per billing interval, minor units of the catalog's currency: a monthly price, a yearly price, or both. */
    price: z
      .object({ month: wholeNumber("a price").optional(), year: wholeNumber("a price").optional() }, { message: "expected a price per interval, e.g. { \"month\": 2900 }" })
      .strict()
      .refine((p) => p.month !== undefined || p.year !== undefined, { message: "expected a price for at least one interval, e.g. { \"month\": 2900 } or { \"year\": 29000 }" }),
    /**
     * On the yearly price, how a meter's `month` cap applies: `monthly`, an allowance that starts over
     * each month of the year; `yearly`, twelve months' allowance for the whole year.
     */
    yearlyQuota: z.enum(["monthly", "yearly"]).default("monthly"),
    /** The plan's terms per meter, keyed by meter id; every meter of the catalog is listed ({} = unlimited, not billed). */
    limits: z.record(z.string(), limitsSchema),
  })
  .strict();

export const catalogFileSchema = z
  .object({
    /** ISO 4217 code; one currency per catalog. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, { message: "expected an ISO 4217 code in capitals, e.g. \"USD\"" })
      .refine((c) => currencyCodes.size === 0 || currencyCodes.has(c), { message: "not an ISO 4217 currency this runtime knows" }),
    meters: z
      .array(meterSchema)
      .min(1, { message: "expected at least one meter, e.g. [{ \"id\": \"calls\", \"unit\": \"API calls\" }]" })
      // The first is the default meter: what a call that names none counts against, and what usage
      // recorded before there were several meters counts for (keep it first when adding meters).
      .max(20, { message: "expected at most 20 meters" }),
    plans: z.array(planSchema).min(1, { message: "expected at least one plan" }),
    /**
     * The per-key safety ceiling (KEY_CEILING_PER_MINUTE): `shared`, one count per key across all
     * meters; `per-meter`, that many per minute for each meter separately.
     */
    keyCeiling: z.enum(["shared", "per-meter"]).default("shared"),
  })
  .strict()
  .superRefine((c, ctx) => {
    const meterIds = c.meters.map((m) => m.id);
    meterIds.forEach((id, i) => {
      if (meterIds.indexOf(id) !== i) ctx.addIssue({ code: "custom", message: `meter "${id}" is declared twice`, path: ["meters", i, "id"] });
    });
    const seen = new Set<string>();
    c.plans.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: "custom", message: `plan "${p.id}" is declared twice`, path: ["plans", i, "id"] });
      seen.add(p.id);
      for (const key of Object.keys(p.limits)) {
        if (!meterIds.includes(key)) ctx.addIssue({ code: "custom", message: `no meter "${key}" is declared in "meters"`, path: ["plans", i, "limits", key] });
      }
      for (const id of meterIds) {
        if (!(id in p.limits)) ctx.addIssue({ code: "custom", message: `expected the plan's terms for meter "${id}" ({} for unlimited)`, path: ["plans", i, "limits"] });
      }
    });
    if (!c.plans.some((p) => p.public)) ctx.addIssue({ code: "custom", message: "expected at least one public plan to offer", path: ["plans"] });
  });

/** The file as written (before defaults). */
export type CatalogFileInput = z.input<typeof catalogFileSchema>;
/** The file as parsed, defaults filled in: what the server keeps and sends to the portal. */
export type CatalogData = z.output<typeof catalogFileSchema>;

/** A catalog file that cannot be used, in one line naming the plan (or meter) and field. */
export class CatalogError extends Error {}

/** One line naming where the first problem is: `plan "pro": limits.calls.month: expected a cap ≥ 0`. */
function describeIssue(input: unknown, issue: z.core.$ZodIssue): string {
  const path = [...issue.path];
  let where = "";
  if (path[0] === "plans" && typeof path[1] === "number") {
    const plans = (input as { plans?: Array<{ id?: unknown }> }).plans;
    const id = plans?.[path[1]]?.id;
    where = typeof id === "string" ? `plan "${id}"` : `plans[${path[1]}]`;
    path.splice(0, 2);
  } else if (path[0] === "meters" && typeof path[1] === "number") {
    const meters = (input as { meters?: Array<{ id?: unknown }> }).meters;
    const id = meters?.[path[1]]?.id;
    where = typeof id === "string" ? `meter "${id}"` : `meters[${path[1]}]`;
    path.splice(0, 2);
  }
  const field = path.map(String).join(".");
  const message = issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
  return [where, field, message].filter(Boolean).join(": ");
}

/** Parses and checks a catalog; a problem throws one CatalogError line naming the plan and field. */
export function parseCatalog(input: unknown): Catalog {
  const result = catalogFileSchema.safeParse(input);
  if (!result.success) throw new CatalogError(describeIssue(input, result.error.issues[0]!));
  return new Catalog(result.data);
}

