import type { NextFunction, RequestHandler, Response } from "express";
import { hasCredentialInQuery } from "../http/key-in-query";
import { PROBLEM_BASE, sendProblem } from "../http/problem";
import type { Clock } from "../lib/clock";
import type { CheckResult, Meter } from "./meter";
import { invalidKeyProblem, rateLimitHeaders, refusalProblem, refusalWait, unknownMeterProblem, upgradeUrlFor } from "./responses";

export interface MeterMiddlewareOptions {
  meter: Meter<boolean>;
  clock: Clock;
  /** Base URL of the portal, for the upgrade link in 429 answers. */
  portalUrl: () => string;
  /** How many units a request counts as (default 1). */
  cost?: (req: Parameters<RequestHandler>[0]) => number;
  /**
   * The meter a request counts against (default: the catalog's first meter): a meter id, or a
   * function of the request (undefined: the default meter). A fixed id the catalog does not declare
   * fails when the middleware is made; one a function returns is answered 400, nothing counted.
   */
  meterId?: string | ((req: Parameters<RequestHandler>[0]) => string | undefined);
}


function keyFrom(req: Parameters<RequestHandler>[0]): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim() || null;
  const header = req.headers["x-api-key"];
  return typeof header === "string" && header.trim() ? header.trim() : null;
}

/**
 * Express middleware for providers who run Headroom in-process: authorises and meters each request
 * with the customer's API key (Authorization: Bearer or X-API-Key), answers 401 / 429 itself with
 * problem+json, sets RateLimit headers, and calls next() when the call may go.
 */
export function meter(options: MeterMiddlewareOptions): RequestHandler {
  const which = options.meterId;
  if (typeof which === "string" && !options.meter.meterOf(which)) {
    const u = options.meter.unknownMeterIn([which])!;
    throw new RangeError(`meter(): the catalog has no meter "${which}" (its meters: ${u.meters.map((m) => m.id).join(", ")}).`);
  }
  return (req, res, next) => {
    if (hasCredentialInQuery(req.url)) {
      sendProblem(res, {
        type: `${PROBLEM_BASE}key-in-url`,
        title: "Credentials in the URL",
        status: 400,
        detail: "Send your API key in the Authorization header (Bearer) or X-API-Key, never in the URL: URLs end up in logs.",
      });
      return;
    }
    const key = keyFrom(req);
    if (!key) {
      sendProblem(res, { type: `${PROBLEM_BASE}missing-api-key`, title: "API key required", status: 401, detail: "Send your API key as Authorization: Bearer <key> or X-API-Key: <key>." }, { "www-authenticate": 'Bearer realm="api"' });
      return;
    }
    const cost = options.cost ? options.cost(req) : 1;
    const r = options.meter.check(key, cost, undefined, typeof which === "function" ? which(req) : which);
    // A shared counter store answers with a promise; the memory store at once (no promise per request).
    if (r instanceof Promise) r.then((done) => answer(res, next, done)).catch(next);
    else answer(res, next, r);
  };

  function answer(res: Response, next: NextFunction, r: CheckResult): void {
    if (!r.ok) {
      if (r.reason === "unknown_meter") sendProblem(res, unknownMeterProblem(r));
      else sendProblem(res, invalidKeyProblem(r.reason), { "www-authenticate": 'Bearer realm="api", error="invalid_token"' });
      return;
    }
    const now = options.clock.now();
    const wait = refusalWait(r, now);
    const headers = rateLimitHeaders(r, now, Math.round((r.period.endMs - r.period.startMs) / 1000), wait);
    if (wait) {
      sendProblem(res, refusalProblem(r, wait, now, upgradeUrlFor(r, options.portalUrl())), headers);
      return;
    }
    for (const name in headers) res.setHeader(name, headers[name]!);
    next();
  }
}
