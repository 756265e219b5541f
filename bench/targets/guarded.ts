/**
 * Target: one Express 5 GET route, guarded by the limiter named in argv[2]:
 *   none                   – the bare route (the baseline of this group)
 *   meter                  – Headroom's meter() middleware over a real Meter (SQLite, metrics, flush timer started)
 *   express-rate-limit     – express-rate-limit, memory store, a limit nothing reaches
 *   rate-limiter-flexible  – RateLimiterMemory, more points than anything consumes
 * Every limiter keys by the API key in the Authorization header, as meter() does, and sets its
 * standard headers; the route answers the same small JSON.
 */
import express, { type RequestHandler } from "express";
import { rateLimit } from "express-rate-limit";
import type { AddressInfo } from "node:net";
import { RateLimiterMemory, type RateLimiterRes } from "rate-limiter-flexible";
import { meter } from "../../server/metering/middleware";
import { createFixture, storedCounts, type Fixture } from "./fixture";
import { serve } from "./protocol";

const kind = process.argv[2] ?? "none";
const HUGE = 1_000_000_000;

const apiKeyOf = (req: Parameters<RequestHandler>[0]) => req.headers.authorization?.slice(7) ?? "anonymous";

let fx: Fixture | null = null;
let guard: RequestHandler | null = null;
let key = "hr_live_bench_key_for_the_limiters_0123";

if (kind === "meter") {
  fx = await createFixture();
  const deps = fx.runtime.deps;
  deps.meter.start();
  key = fx.key;
  guard = meter({ meter: deps.meter, clock: deps.clock, portalUrl: deps.baseUrl });
} else if (kind === "express-rate-limit") {
  guard = rateLimit({ windowMs: 60_000, limit: HUGE, standardHeaders: "draft-8", legacyHeaders: false, keyGenerator: apiKeyOf });
} else if (kind === "rate-limiter-flexible") {
  const limiter = new RateLimiterMemory({ points: HUGE, duration: 60 });
  guard = (req, res, next) => {
    limiter
      .consume(apiKeyOf(req))
      .then((r) => {
        res.setHeader("RateLimit-Limit", HUGE);
        res.setHeader("RateLimit-Remaining", r.remainingPoints);
        res.setHeader("RateLimit-Reset", Math.ceil(r.msBeforeNext / 1000));
        next();
      })
      .catch((r: RateLimiterRes | Error) => {
        if (r instanceof Error) next(r);
        else res.status(429).json({ title: "Too many requests" });
      });
  };
} else if (kind !== "none") {
  throw new Error(`unknown limiter ${kind}`);
}

const app = express();
const handler: RequestHandler = (_req, res) => {
  res.json({ ok: true, widgets: [1, 2, 3], message: "hello from the API" });
};
if (guard) app.get("/api/widgets", guard, handler);
else app.get("/api/widgets", handler);

const server = app.listen(0, "127.0.0.1", () => {
  serve(
    { port: (server.address() as AddressInfo).port, key },
    {
      stop: async () => {
        if (!fx) return {};
        await fx.runtime.deps.meter.stop(4_000);
        const counts = await storedCounts(fx);
        await fx.runtime.database.close();
        fx.cleanup();
        return counts;
      },
    },
  );
});
server.keepAliveTimeout = 5_000;
