import { z } from "zod";
import { keyNameSchema } from "../keys/keys";

/** Wire formats of /v1, shared by request validation and the OpenAPI document. */

export const MAX_EVENTS_PER_REQUEST = 1000;

const apiKey = z.string({ message: "is required (a string)" }).min(1, "must not be empty").max(256, "is too long");
const idempotencyId = z
  .string({ message: "must be a string" })
  .min(1, "must not be empty")
  .max(200, "is at most 200 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
const meterId = z
  .string({ message: "must be a string (a meter id of the catalog)" })
  .min(1, "must not be empty")
  .max(40, "is at most 40 characters");
const cost = z
  .number({ message: "must be a number" })
  .int("must be a whole number")
  .positive("must be at least 1")
  .max(1_000_000, "is at most 1,000,000");

export const checkRequest = z
  .object({
    key: apiKey.describe("The customer's API key, as the customer sent it."),
    cost: cost.default(1).describe("How many calls this request counts as."),
    id: idempotencyId.optional().describe("Idempotency id: a retry with the same id (on the same meter) is answered with the first decision and counted once."),
    meter: meterId.optional().describe("The meter the call counts against, one of the catalog's meters (default: its first). An unknown meter is answered 400, nothing counted."),
  })
  .strict();

export const usageEvent = z
  .object({
    id: idempotencyId.describe("Unique per account and meter for at least 48 hours; duplicates are counted once."),
    key: apiKey,
    cost: cost.default(1),
    meter: meterId.optional().describe("The meter the event counts against (default: the catalog's first). A batch naming an unknown meter is answered 400, nothing counted."),
    timestamp: z
      // The ISO form first: most batches carry it, and a union pays for every branch that fails before one passes.
      .union([z.iso.datetime({ offset: true }), z.number().int().positive()], { message: "must be unix milliseconds or an ISO 8601 date-time" })
      .describe("When the call was served: unix milliseconds or ISO 8601."),
  })
  .strict();

export const eventsRequest = z
  .object({
    events: z
      .array(usageEvent, { message: "is required (an array of events)" })
      .min(1, "must not be empty")
      .max(MAX_EVENTS_PER_REQUEST, `holds at most ${MAX_EVENTS_PER_REQUEST} events per request`),
  })
  .strict();

const limitOnWire = z.object({
  window: z.enum(["minute", "day", "month"]),
  limit: z.number().int().nullable().describe("null = no cap in this window"),
  used: z.number().int(),
  remaining: z.number().int().nullable(),
  resetAt: z.iso.datetime(),
});

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
  })
  .catchall(z.unknown())
  .describe("RFC 9457 problem details (application/problem+json)");

export const checkResponse = z.object({
  allowed: z.boolean(),
  decision: z.enum(["allow", "would_throttle", "throttle", "ceiling"]),
  duplicate: z.boolean().describe("true when the id was seen before: the first decision, not counted again"),
  mode: z.enum(["off", "shadow", "enforce"]),
  account: z.object({ id: z.string(), name: z.string() }),
  plan: z.object({ id: z.string(), name: z.string() }),
  meter: z.string().describe("The meter the call counted against; `limits` are its windows"),
  limits: z.array(limitOnWire),
  upgradeUrl: z.string().nullable(),
  problem: problemSchema.optional().describe("When refused: the 429 body to forward to the caller"),
});

export const eventsResponse = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  rejects: z.array(
    z.object({
      index: z.number().int(),
      id: z.string(),
      reason: z.enum(["unknown_key", "revoked_key", "too_late", "in_the_future", "duplicate_in_batch", "unknown_meter"]),
    }),
  ),
});

export const portalSessionBody = z
  .object({
    accountId: z.string({ message: "is required (a string)" }).min(1, "must not be empty"),
    returnUrl: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional().describe('Shown in the portal as "Back to <host>".'),
  })
  .strict();

export const createKeyBody = z.object({ name: keyNameSchema.optional() }).strict();
