import type { Catalog } from "../../shared/catalog";
import { z } from "zod";
import { createAccountInput } from "../accounts/accounts";
import { checkRequest, checkResponse, createKeyBody, eventsRequest, eventsResponse, MAX_EVENTS_PER_REQUEST, portalSessionBody, problemSchema } from "./v1-schemas";

type JsonSchema = Record<string, unknown>;

/** JSON Schema of a request body as sent (defaults optional) or of a response as received. */
const schemaOf = (s: z.ZodType, io: "input" | "output" = "output"): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
};

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});
const json = (schema: JsonSchema, description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema } },
});

const RATE_LIMIT_HEADERS = {
  "RateLimit-Policy": {
    description:
      'One policy per capped window of the call\'s meter (IETF httpapi draft), e.g. `"minute";q=60;w=60, "day";q=1000;w=86400`. With several meters in the catalog each is named `"<meter>-<window>"`, e.g. `"mcp-minute";q=30;w=60`; the per-key ceiling is `"ceiling"` (or `"<meter>-ceiling"` when each meter has its own).',
    schema: { type: "string" },
  },
  RateLimit: { description: 'The window of the call\'s meter that binds first, e.g. `"minute";r=12;t=34` (r remaining, t seconds until quota returns), named as in RateLimit-Policy.', schema: { type: "string" } },
  "Retry-After": { description: "Seconds to wait, when the call was refused (at least t).", schema: { type: "integer" } },
  "X-Request-Id": { description: "The request id, also in problem+json `instance`.", schema: { type: "string" } },
};

const keyObject = {
  type: "object",
  properties: {
    id: { type: "string" },
    accountId: { type: "string" },
    name: { type: "string" },
    prefix: { type: "string", description: "The first characters of the key, safe to display." },
    createdAt: { type: "string", format: "date-time" },
    lastUsedAt: { type: ["string", "null"], format: "date-time" },
    revokedAt: { type: ["string", "null"], format: "date-time" },
  },
  required: ["id", "accountId", "name", "prefix", "createdAt", "lastUsedAt", "revokedAt"],
};

const accountIdParam = { name: "accountId", in: "path", required: true, schema: { type: "string" } };
const errors = {
  "400": problem("Invalid body; `detail` names the field, `invalidParams` lists every issue."),
  "401": problem("Missing or wrong server token."),
};

/** A request body's schema with its `meter` field (or its events' one) limited to the catalog's meters. */
function withMeters(schema: JsonSchema, catalog: Catalog): JsonSchema {
  const meters = catalog.meters.map((m) => m.id);
  const described = `${catalog.meters.map((m) => `\`${m.id}\` (${m.unit})`).join(", ")}; default \`${catalog.defaultMeter.id}\`.`;
  const patch = (props: Record<string, JsonSchema> | undefined) => {
    const meter = props?.meter;
    if (meter) props!.meter = { ...meter, enum: meters, description: `${String(meter.description ?? "")} This catalog's meters: ${described}`.trim() };
  };
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  patch(props);
  patch((props?.events?.items as JsonSchema | undefined)?.properties as Record<string, JsonSchema> | undefined);
  return schema;
}

/** OpenAPI 3.1 of /v1, built from the zod schemas that validate the requests. */
export function openApiDocument(baseUrl: string, catalog: Catalog) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Headroom API",
      version: "1.0.0",
      description:
        "For the API provider's backend: authorise and meter customer calls, record usage, manage keys and send customers into their portal. Every route takes `Authorization: Bearer <HEADROOM_SERVER_TOKEN>`; errors are RFC 9457 problem+json.",
    },
    servers: [{ url: baseUrl }],
    security: [{ serverToken: [] }],
    components: {
      securitySchemes: { serverToken: { type: "http", scheme: "bearer", description: "HEADROOM_SERVER_TOKEN" } },
      schemas: { Problem: schemaOf(problemSchema), ApiKey: keyObject },
    },
    paths: {
      "/v1/check": {
        post: {
          summary: "May this call go? Decide, count and answer with RateLimit headers",
          description:
            "Answers 200 whether allowed or not; the gateway decides what to forward. When refused, `problem` holds the 429 body to forward, and `Retry-After` is set. Keys in the URL are refused.",
          requestBody: { required: true, content: { "application/json": { schema: withMeters(schemaOf(checkRequest, "input"), catalog) } } },
          responses: {
            "200": json(schemaOf(checkResponse), "The decision and where the account stands in each window of the call's meter.", RATE_LIMIT_HEADERS),
            ...errors,
            "400": problem("Invalid body (`detail` names the field), or a meter the catalog does not declare (type `unknown-meter`: `meter` names it, `meters` lists those there are; nothing counted)."),
            "401": problem("Missing or wrong server token, or an unknown or revoked customer key."),
            "413": problem("Body larger than 16 KiB."),
          },
        },
      },
      "/v1/events": {
        post: {
          summary: `Record usage already served (up to ${MAX_EVENTS_PER_REQUEST} events per request)`,
          description:
            "Each event is counted once by its id on its meter (ids are kept at least 48 h). Events older than EVENTS_MAX_LATENESS_HOURS or more than 5 minutes ahead are rejected one by one with a reason. A batch naming a meter the catalog does not declare is refused whole (400, nothing counted).",
          requestBody: { required: true, content: { "application/json": { schema: withMeters(schemaOf(eventsRequest, "input"), catalog) } } },
          responses: {
            "200": json(schemaOf(eventsResponse), "Accepted, duplicate and rejected counts, with each reject's reason."),
            ...errors,
            "400": problem("Invalid body (`detail` names the field), or an event naming a meter the catalog does not declare (type `unknown-meter`; nothing counted)."),
            "413": problem("Body larger than 1 MiB."),
          },
        },
      },
      "/v1/plans": { get: { summary: "The public plan catalog", responses: { "200": json({ type: "object" }, "Plans with prices in minor units and caps per window."), "401": errors["401"] } } },
      "/v1/accounts": {
        post: {
          summary: "Create an account",
          requestBody: { required: true, content: { "application/json": { schema: schemaOf(createAccountInput(catalog), "input") } } },
          responses: { "201": json({ type: "object" }, "The account."), ...errors, "409": problem("An account with this e-mail exists.") },
        },
      },
      "/v1/accounts/{accountId}": {
        get: {
          summary: "Where an account stands against its caps (the numbers the portal shows)",
          parameters: [accountIdParam],
          responses: { "200": json({ type: "object" }, "Plan, mode, billing interval and period, and limits."), "401": errors["401"], "404": problem("No such account.") },
        },
      },
      "/v1/accounts/{accountId}/keys": {
        get: {
          summary: "List an account's API keys (never the keys themselves)",
          parameters: [accountIdParam, { name: "includeRevoked", in: "query", schema: { type: "boolean" } }],
          responses: { "200": json({ type: "object", properties: { keys: { type: "array", items: { $ref: "#/components/schemas/ApiKey" } } } }, "Keys."), "401": errors["401"], "404": problem("No such account.") },
        },
        post: {
          summary: "Create an API key; the full key is in this answer only",
          parameters: [accountIdParam],
          requestBody: { content: { "application/json": { schema: schemaOf(createKeyBody, "input") } } },
          responses: {
            "201": json({ allOf: [{ $ref: "#/components/schemas/ApiKey" }, { type: "object", properties: { key: { type: "string" } }, required: ["key"] }] }, "The key, shown once."),
            ...errors,
            "404": problem("No such account."),
            "409": problem("The account has the most active keys allowed."),
          },
        },
      },
      "/v1/keys/{keyId}": {
        delete: {
          summary: "Revoke a key (effective on the next call)",
          parameters: [{ name: "keyId", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": json({ $ref: "#/components/schemas/ApiKey" }, "The revoked key."), "401": errors["401"], "404": problem("No such key.") },
        },
      },
      "/v1/portal-sessions": {
        post: {
          summary: "A one-time link (10 minutes) that signs a customer into their portal",
          requestBody: {
            required: true,
            content: { "application/json": { schema: schemaOf(portalSessionBody, "input") } },
          },
          responses: {
            "201": json({ type: "object", properties: { url: { type: "string" }, expiresAt: { type: "string", format: "date-time" } }, required: ["url", "expiresAt"] }, "The link."),
            ...errors,
            "404": problem("No such account."),
          },
        },
      },
    },
  };
}
