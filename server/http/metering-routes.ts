import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { Deps } from "../deps";
import type { Meter } from "../metering/meter";
import { invalidKeyProblem, rateLimitHeaders, refusalProblem, upgradeUrlFor, wireLimits } from "../metering/responses";
import { PROBLEM_BASE, sendProblem } from "./problem";
import { hasServerToken } from "./server-token";
import { checkRequest, eventsRequest } from "./v1-schemas";

const CHECK_BODY_LIMIT = 16 * 1024;
const EVENTS_BODY_LIMIT = 1024 * 1024;

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      req.resume();
      return reject(new BodyError(413, `The body is larger than ${limit} bytes.`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyError(413, `The body is larger than ${limit} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

/** Parses and validates a JSON body; answers 400 naming the field and returns null when it is bad. */
function parse<S extends z.ZodType>(res: ServerResponse, schema: S, text: string, instance: string, headers: Record<string, string>): z.output<S> | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    sendProblem(res, { type: `${PROBLEM_BASE}invalid-body`, title: "Invalid request body", status: 400, detail: "The body is not valid JSON.", instance }, headers);
    return null;
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues[0]!;
  const field = first.path.join(".") || "body";
  sendProblem(
    res,
    {
      type: `${PROBLEM_BASE}invalid-body`,
      title: "Invalid request body",
      status: 400,
      detail: `${field}: ${first.message}`,
      instance,
      invalidParams: issues.slice(0, 20).map((i) => ({ name: i.path.join(".") || "body", reason: i.message })),
    },
    headers,
  );
  return null;
}

const KEY_IN_QUERY = /[?&](key|api_key|apikey|api-key|access_token|token)=/i;

/**
 * The two hot routes, served straight from node:http in front of Express: on this hardware bare
 * Express serves about a quarter of what node:http does, and these routes are called on every API call.
 */
export function meteringRoutes(deps: Deps, meter: Meter) {
  const { logger, clock } = deps;

  async function check(req: IncomingMessage, res: ServerResponse, instance: string, headers: Record<string, string>): Promise<void> {
    const body = parse(res, checkRequest, await readBody(req, CHECK_BODY_LIMIT), instance, headers);
    if (!body) return;
    const r = meter.check(body.key, body.cost, body.id);
    if (!r.ok) {
      sendProblem(res, invalidKeyProblem(r.reason, instance), headers);
      return;
    }
    const now = clock.now();
    const upgradeUrl = upgradeUrlFor(r, deps.baseUrl());
    const rl = rateLimitHeaders(r, now, Math.round((r.period.endMs - r.period.startMs) / 1000));
    sendJson(
      res,
      200,
      {
        allowed: r.allowed,
        decision: r.decision,
        duplicate: r.duplicate,
        mode: r.mode,
        account: r.account,
        plan: r.plan,
        limits: wireLimits(r.limits),
        upgradeUrl,
        ...(r.allowed ? {} : { problem: refusalProblem(r, now, upgradeUrl, instance) }),
      },
      { ...headers, ...rl },
    );
  }

  async function events(req: IncomingMessage, res: ServerResponse, instance: string, headers: Record<string, string>): Promise<void> {
    const body = parse(res, eventsRequest, await readBody(req, EVENTS_BODY_LIMIT), instance, headers);
    if (!body) return;
    const result = meter.recordEvents(
      body.events.map((e) => ({ id: e.id, key: e.key, cost: e.cost, timestampMs: typeof e.timestamp === "number" ? e.timestamp : Date.parse(e.timestamp) })),
    );
    sendJson(res, 200, { accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected.length, rejects: result.rejected }, headers);
  }

  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const handler = path === "/v1/check" ? check : path === "/v1/events" ? events : null;
    if (!handler) return false;

    const incoming = req.headers["x-request-id"];
    const instance = typeof incoming === "string" && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    const headers = { "x-request-id": instance };
    const started = performance.now();
    res.on("finish", () => {
      logger.info({ requestId: instance, method: req.method, path, status: res.statusCode, ms: performance.now() - started }, "request");
      deps.metrics.httpRequests.inc({ route: "v1", status: `${Math.floor(res.statusCode / 100)}xx` });
    });

    if (req.method !== "POST") {
      req.resume();
      sendProblem(res, { type: `${PROBLEM_BASE}method-not-allowed`, title: "Method not allowed", status: 405, detail: `Use POST ${path}.`, instance }, { ...headers, allow: "POST" });
      return true;
    }
    if (!hasServerToken(req, deps.serverToken)) {
      req.resume();
      sendProblem(
        res,
        { type: `${PROBLEM_BASE}unauthorized`, title: "Missing or wrong server token", status: 401, detail: "Send Authorization: Bearer <HEADROOM_SERVER_TOKEN>.", instance },
        { ...headers, "www-authenticate": 'Bearer realm="headroom"' },
      );
      return true;
    }
    if (q !== -1 && KEY_IN_QUERY.test(url.slice(q))) {
      req.resume();
      sendProblem(res, { type: `${PROBLEM_BASE}key-in-url`, title: "Credentials in the URL", status: 400, detail: "Send the API key in the JSON body, never in the URL: URLs end up in logs.", instance }, headers);
      return true;
    }
    handler(req, res, instance, headers).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof BodyError) {
        sendProblem(res, { type: `${PROBLEM_BASE}invalid-body`, title: "Invalid request body", status: err.status, detail: err.message, instance }, headers);
        return;
      }
      logger.error({ err, requestId: instance, path }, "metering route failed");
      sendProblem(res, { title: "Internal error", status: 500, detail: "Something went wrong on our side.", instance }, headers);
    });
    return true;
  };
}
