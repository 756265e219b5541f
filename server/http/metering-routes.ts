import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { Deps } from "../deps";
import { METERING_REQUEST_TIMING_SAMPLE } from "../lib/metrics";
import { DatabaseUnavailableError, type CheckResult, type EventsResult, type Meter } from "../metering/meter";
import { invalidKeyProblem, rateLimitHeaders, refusalProblem, refusalWait, unknownMeterProblem, upgradeUrlFor, wireLimits } from "../metering/responses";
import { hasCredentialInQuery } from "./key-in-query";
import { PROBLEM_BASE, sendProblem, type Problem } from "./problem";
import { hasServerToken } from "./server-token";
import { compileSerializer } from "./serialize";
import { checkRequest, checkResponse, eventsRequest, eventsResponse } from "./v1-schemas";

/** The answers are written from their own schemas (the OpenAPI document's), faster than JSON.stringify. */
const serializeCheck = compileSerializer(checkResponse);
const serializeEvents = compileSerializer(eventsResponse);

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

/** Reads the body with callbacks (no promise per request on the hot path); at most `limit` bytes. */
function readBody(req: IncomingMessage, limit: number, done: (err: Error | null, text: string) => void): void {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    req.resume();
    done(new BodyError(413, `The body is larger than ${limit} bytes.`), "");
    return;
  }
  let first: Buffer | null = null;
  let more: Buffer[] | null = null;
  let size = 0;
  // `done` is called once: with the body, or with the first error.
  let settled = false;
  req.on("data", (c: Buffer) => {
    if (settled) return;
    size += c.length;
    if (size > limit) {
      settled = true;
      done(new BodyError(413, `The body is larger than ${limit} bytes.`), "");
      req.destroy();
      return;
    }
    if (!first) first = c;
    else (more ??= [first]).push(c);
  });
  req.on("end", () => {
    if (settled) return;
    settled = true;
    done(null, more ? Buffer.concat(more).toString("utf8") : first ? first.toString("utf8") : "");
  });
  req.on("error", (err) => {
    if (settled) return;
    settled = true;
    done(err, "");
  });
}

/**
 * A JSON answer, serialized by the caller. `headers` is this request's own object: it is completed in place, not copied.
 * No cache-control: an answer to a POST is not cacheable without explicit freshness (RFC 9111 §4.2.1).
 */
function sendJson(res: ServerResponse, status: number, text: string, headers: Record<string, string | number>): void {
  headers["content-type"] = "application/json";
  headers["content-length"] = Buffer.byteLength(text);
  res.writeHead(status, headers);
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

const REQUEST_ID = /^[\w.-]{1,64}$/;

/** One request on a hot route: what its log line and metrics need. */
interface Call {
  instance: string;
  method: string | undefined;
  path: string;
  started: number;
  headers: Record<string, string>;
  /** Set when /v1/check refused the call (the answer is a 200 carrying the 429 body). */
  refusal: { decision: string; window: string; accountId: string; meter?: string; duplicate?: true } | null;
  /** Events of a /v1/events batch that were rejected (not counted). */
  rejected: number;
}

/**
 * The two hot routes, served straight from node:http in front of Express: on this hardware bare
 * Express serves about a quarter of what node:http does, and these routes are called on every API call.
 * Every step is synchronous once the body has arrived (no promise, no listener per answer), unless
 * the counter store is shared (Redis): then the answer waits for its one round trip.
 *
 * Logging: a refusal, an error (4xx/5xx), a batch with rejected events and a slow request
 * (METER_SLOW_REQUEST_MS) each write one line; the allowed, fast calls are only counted in
 * /metrics, unless METER_ACCESS_LOG asks for every request (a line per call costs these routes
 * about a third of their throughput; see docs/decisions/0007-hot-routes-log-what-matters.md).
 */
export function meteringRoutes(deps: Deps, meter: Meter<boolean>) {
  const { logger, clock, metrics } = deps;
  const logEveryRequest = deps.config.METER_ACCESS_LOG;
  const slowMs = deps.config.METER_SLOW_REQUEST_MS;
  // Request counts by status class, tallied per request and folded into the counters on scrape.
  const statusClasses = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];
  const statusLabels = statusClasses.map((status) => ({ key: `v1\u0000${status}`, labels: { route: "v1", status } }));
  const pathLabels = new Map(
    ["/v1/check", "/v1/events"].map((path) => [path, statusClasses.map((status) => ({ key: `${path}\u0000${status}`, labels: { path, status } }))]),
  );
  let answers = 0;

  /** After the answer is written: the counters, and a log line if the request was refused, failed or slow (or every request is logged). */
  function answered(call: Call, res: ServerResponse): void {
    const status = res.statusCode;
    const ms = performance.now() - call.started;
    const statusClass = Math.floor(status / 100);
    const tally = statusLabels[statusClass] ?? statusLabels[0]!;
    metrics.httpTally.add(tally.key, tally.labels);
    const byPath = pathLabels.get(call.path)!;
    const pathTally = byPath[statusClass] ?? byPath[0]!;
    metrics.meteringTally.add(pathTally.key, pathTally.labels);
    // The first answer and every 16th after it: a quiet server still shows a latency.
    if (answers++ % METERING_REQUEST_TIMING_SAMPLE === 0) metrics.meteringRequestSeconds.observe({ path: call.path }, ms / 1000);

    const slow = ms > slowMs;
    if (!(logEveryRequest || status >= 400 || slow || call.refusal || call.rejected) || !logger.isLevelEnabled("info")) return;
    const line: Record<string, unknown> = { requestId: call.instance, method: call.method, path: call.path, status, ms };
    if (slow) line.slow = true;
    if (call.refusal) Object.assign(line, call.refusal);
    if (call.rejected) line.rejected = call.rejected;
    logger.info(line, "request");
  }

  function failed(call: Call, res: ServerResponse, err: unknown): void {
    if (!res.headersSent) {
      if (err instanceof BodyError) {
        sendProblem(res, { type: `${PROBLEM_BASE}invalid-body`, title: "Invalid request body", status: err.status, detail: err.message, instance: call.instance }, call.headers);
      } else if (err instanceof DatabaseUnavailableError) {
        logger.warn({ err, requestId: call.instance, path: call.path }, "metering call not decided: the database does not answer");
        sendProblem(res, { type: `${PROBLEM_BASE}database-unavailable`, title: "Temporarily unavailable", status: 503, detail: err.message, instance: call.instance }, { ...call.headers, "retry-after": "1" });
      } else {
        logger.error({ err, requestId: call.instance, path: call.path }, "metering route failed");
        sendProblem(res, { title: "Internal error", status: 500, detail: "Something went wrong on our side.", instance: call.instance }, call.headers);
      }
    }
    answered(call, res);
  }

  /** Answers a problem before the body is read (the body is drained, not parsed). */
  function refuse(req: IncomingMessage, res: ServerResponse, call: Call, problem: Problem, extra: Record<string, string> = {}): void {
    req.resume();
    sendProblem(res, problem, { ...call.headers, ...extra });
    answered(call, res);
  }

  /** Answers /v1/check; a promise only when the counter store answered with one (a shared store). */
  function check(res: ServerResponse, call: Call, text: string): void | Promise<void> {
    const body = parse(res, checkRequest, text, call.instance, call.headers);
    if (!body) return;
    const r = meter.check(body.key, body.cost, body.id, body.meter);
    if (r instanceof Promise) return r.then((done) => answerCheck(res, call, done));
    answerCheck(res, call, r);
  }

  function answerCheck(res: ServerResponse, call: Call, r: CheckResult): void {
    const { instance, headers } = call;
    if (!r.ok) {
      sendProblem(res, r.reason === "unknown_meter" ? unknownMeterProblem(r, instance, "meter") : invalidKeyProblem(r.reason, instance), headers);
      return;
    }
    const now = clock.now();
    const upgradeUrl = upgradeUrlFor(r, deps.baseUrl());
    const wait = refusalWait(r, now);
    if (wait) {
      call.refusal = { decision: r.decision, window: wait.window, accountId: r.account.id };
      if (!r.meter.isDefault) call.refusal.meter = r.meter.id;
      if (r.duplicate) call.refusal.duplicate = true;
    }
    const answer: Record<string, string | number> = rateLimitHeaders(r, now, Math.round((r.period.endMs - r.period.startMs) / 1000), wait);
    answer["x-request-id"] = instance;
    sendJson(
      res,
      200,
      serializeCheck({
        allowed: r.allowed,
        decision: r.decision,
        duplicate: r.duplicate,
        mode: r.mode,
        account: r.account,
        plan: r.plan,
        meter: r.meter.id,
        limits: wireLimits(r.limits),
        upgradeUrl,
        problem: wait ? refusalProblem(r, wait, now, upgradeUrl, instance) : undefined,
      }),
      answer,
    );
  }

  function events(res: ServerResponse, call: Call, text: string): void | Promise<void> {
    const body = parse(res, eventsRequest, text, call.instance, call.headers);
    if (!body) return;
    // A meter the catalog does not declare refuses the whole batch before any event is counted.
    const unknown = meter.unknownMeterIn(body.events.map((e) => e.meter));
    if (unknown) {
      const index = body.events.findIndex((e) => e.meter === unknown.meter);
      sendProblem(res, unknownMeterProblem(unknown, call.instance, `events.${index}.meter`), call.headers);
      return;
    }
    const result = meter.recordEvents(
      body.events.map((e) => ({ id: e.id, key: e.key, cost: e.cost, timestampMs: typeof e.timestamp === "number" ? e.timestamp : Date.parse(e.timestamp), meter: e.meter })),
    );
    if (result instanceof Promise) return result.then((done) => answerEvents(res, call, done));
    answerEvents(res, call, result);
  }

  function answerEvents(res: ServerResponse, call: Call, result: EventsResult): void {
    call.rejected = result.rejected.length;
    sendJson(res, 200, serializeEvents({ accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected.length, rejects: result.rejected }), { ...call.headers });
  }

  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const route = path === "/v1/check" ? check : path === "/v1/events" ? events : null;
    if (!route) return false;

    const incoming = req.headers["x-request-id"];
    const instance = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const call: Call = { instance, method: req.method, path, started: performance.now(), headers: { "x-request-id": instance }, refusal: null, rejected: 0 };
    if (req.method !== "POST") {
      refuse(req, res, call, { type: `${PROBLEM_BASE}method-not-allowed`, title: "Method not allowed", status: 405, detail: `Use POST ${path}.`, instance }, { allow: "POST" });
      return true;
    }
    if (!hasServerToken(req, deps.serverToken)) {
      refuse(
        req,
        res,
        call,
        { type: `${PROBLEM_BASE}unauthorized`, title: "Missing or wrong server token", status: 401, detail: "Send Authorization: Bearer <HEADROOM_SERVER_TOKEN>.", instance },
        { "www-authenticate": 'Bearer realm="headroom"' },
      );
      return true;
    }
    if (hasCredentialInQuery(url)) {
      refuse(req, res, call, { type: `${PROBLEM_BASE}key-in-url`, title: "Credentials in the URL", status: 400, detail: "Send the API key in the JSON body, never in the URL: URLs end up in logs.", instance });
      return true;
    }
    readBody(req, path === "/v1/check" ? CHECK_BODY_LIMIT : EVENTS_BODY_LIMIT, (err, text) => {
      if (err) return failed(call, res, err);
      let waiting: void | Promise<void>;
      try {
        waiting = route(res, call, text);
      } catch (e) {
        return failed(call, res, e);
      }
      if (waiting instanceof Promise) waiting.then(() => answered(call, res), (e: unknown) => failed(call, res, e));
      else answered(call, res);
    });
    return true;
  };
}
