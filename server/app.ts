import { databaseAnswers } from "./db/queries/health";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import compression from "compression";
import expressStaticGzip from "express-static-gzip";
import express, { type Express, type Request, type Response } from "express";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import { readSession } from "./auth/sign-in";
import type { Deps } from "./deps";
import { authRoutes } from "./http/auth-routes";
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from "./http/cookies";
import { requireSameOriginJson } from "./http/same-origin";
import { securityHeaders } from "./http/security-headers";
import { brandedIndex } from "./http/spa-index";
import { initialData, withInitialData } from "./http/initial-data";
import { routePreloads } from "./http/route-preloads";
import { notFoundProblem } from "./http/problem";
import { v1Routes } from "./http/v1";
import { demoApi } from "./demo/demo-api";
import { embedRoutes } from "./http/embed-routes";
import { metricsRoute } from "./http/metrics-route";
import { stripeWebhookRoute } from "./billing/stripe/stripe-webhooks";
import { dodoWebhookRoute } from "./http/dodo-webhook-route";
import type { SingletonJobs } from "./jobs/singleton-jobs";
import { appRouter } from "./trpc/router";
import type { Context } from "./trpc/trpc";

/** A small, bounded label for request metrics: the first path segment. */
function routeGroup(path: string): string {
  const first = path.split("/")[1] ?? "";
  return ["v1", "trpc", "auth", "demo-api", "embed", "webhooks", "healthz", "metrics", "assets"].includes(first) ? first : "spa";
}

/**
 * What a worker process serves: `GET /healthz` only (the database answers; which jobs run here).
 * The portal, the console and the API are served by the web processes.
 */
export function createWorkerApp(deps: Pick<Deps, "db">, jobs: SingletonJobs): Express {
  const app = express();
  app.disable("x-powered-by");
  app.get("/healthz", async (_req, res) => {
    await databaseAnswers(deps.db);
    res.json({ status: "ok", role: "worker", holder: jobs.holder, jobs: jobs.held() });
  });
  app.use((_req, res) => {
    res.status(404).type("application/problem+json").json({ type: "about:blank", title: "Not found", status: 404, detail: "This is a worker process: it runs Headroom's background jobs. The portal, the console and the API are served by the web processes." });
  });
  return app;
}

/**
 * How long /healthz waits for the database before it says "unreachable" (ms): a health check must
 * answer quickly either way. A balancer's check timeout must be longer (docs/deploy.md), or a database
 * that does not answer takes every instance out of the balancer instead of leaving them degraded.
 */
export const HEALTH_DATABASE_WAIT_MS = 1_000;

/** Whether the database answers within HEALTH_DATABASE_WAIT_MS. */
async function databaseState(db: Deps["db"]): Promise<"ok" | "unreachable"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"unreachable">((done) => (timer = setTimeout(() => done("unreachable"), HEALTH_DATABASE_WAIT_MS)));
  try {
    return await Promise.race([databaseAnswers(db).then(() => "ok" as const), late]);
  } catch {
    return "unreachable";
  } finally {
    clearTimeout(timer);
  }
}

/** The Express app: everything except the two hot metering routes, which the lean handler serves. */
export function createApp(deps: Deps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");

  app.use((req, res, next) => {
    const incoming = req.headers["x-request-id"];
    const id = typeof incoming === "string" && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", id);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      // originalUrl: a router mounted at /v1 sees only the rest of the path; the query is left out (no secrets in logs).
      const path = req.originalUrl.split("?")[0]!;
      deps.logger.info(
        { requestId: id, method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        "request",
      );
      deps.metrics.httpRequests.inc({ route: routeGroup(path), status: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  });

  app.use(securityHeaders({ https: deps.config.PUBLIC_URL?.startsWith("https:") ?? false, imageOrigins: deps.notify.brand.logoUrl ? [new URL(deps.notify.brand.logoUrl).origin] : [] }));

  // Before any JSON body parser: Stripe's signature is over the raw bytes.
  app.use(stripeWebhookRoute({ ctx: deps.billing, provider: deps.stripe?.provider ?? null, secret: deps.stripe?.webhookSecret ?? null }));
  app.use(dodoWebhookRoute({ ctx: deps.billing, provider: deps.dodo?.provider ?? null, webhookKey: deps.dodo?.webhookKey ?? null }));

  // A web instance is healthy while it can answer calls. It still can when the database does not
  // answer (decision 0005: what it holds stands in, usage waits in its buffer), so the balancer must
  // keep it: the body says "degraded", the status stays 200.
  app.get("/healthz", async (_req, res) => {
    const database = await databaseState(deps.db);
    res.json(database === "ok" ? { status: "ok" } : { status: "degraded", database, pendingUsage: deps.meter.pendingCount() });
  });

  app.use(metricsRoute(deps));
  app.use("/v1", v1Routes(deps));
  // The demo API exists only with the demo; without it the prefix is an unknown API path, not a portal route.
  app.use("/demo-api", deps.config.HEADROOM_DEMO ? demoApi(deps) : notFoundProblem);
  app.use(authRoutes(deps));
  app.use(embedRoutes(deps));

  /** Who is asking, for the portal's procedures: over /trpc, and for the first reads sent with index.html. */
  const trpcContext = async (req: Request, res: Response): Promise<Context> => {
    const sessionId = readCookie(req.headers.cookie, SESSION_COOKIE);
    const session = sessionId ? await readSession(deps.db, deps.clock, sessionId, deps.config.SESSION_TTL_MINUTES * 60_000) : null;
    return {
      deps,
      session,
      sessionId,
      requestId: String(res.getHeader("x-request-id")),
      ip: req.ip ?? null,
      userAgent: req.headers["user-agent"] ?? null,
      clearSessionCookie: () => res.setHeader("set-cookie", clearedSessionCookie(deps.baseUrl().startsWith("https:"))),
      startSession: (id, ttlMs) => res.setHeader("set-cookie", sessionCookie(id, { secure: deps.baseUrl().startsWith("https:"), maxAgeSeconds: Math.floor(ttlMs / 1000) })),
    };
  };

  app.use(
    "/trpc",
    requireSameOriginJson(deps.baseUrl),
    createExpressMiddleware({
      router: appRouter,
      createContext: ({ req, res }) => trpcContext(req, res),
    }),
  );

  // The SPA: hashed assets cached for a year, index.html never, client-side routes fall back to it.
  const indexHtml = join(deps.clientDir, "index.html");
  const brandedIndexHtml = brandedIndex(indexHtml, deps.notify.brand);
  const preloadsFor = routePreloads(deps.clientDir);
  // Each hashed asset is served as the brotli or gzip file `vite build` wrote beside it when the
  // browser accepts one (Vary: Accept-Encoding), else as built.
  app.use("/assets", expressStaticGzip(join(deps.clientDir, "assets"), { enableBrotli: true, orderPreference: ["br", "gzip"], index: false, serveStatic: { immutable: true, maxAge: "365d", fallthrough: false } }));
  app.use(express.static(deps.clientDir, { index: false, maxAge: "1h" }));
  // index.html is compressed as it goes out (brotli or gzip): with a page's first reads it is about
  // 25 kB, 5 kB on the wire. Only here: the API's hot routes stay as they are.
  app.get("/{*splat}", compression({ threshold: 1024 }), async (req, res) => {
    if (!existsSync(indexHtml)) {
      res.status(503).type("text/plain").send("The portal has not been built yet. Run `npm run build` (npm start does it for you).");
      return;
    }
    // The page's first reads travel with it (server/http/initial-data.ts). It then holds the
    // account's own numbers: private (no shared cache keeps it) and asked again on every load.
    // Without them (the database does not answer) it is sent as built, and the portal asks, and
    // shows its retry state, itself.
    let html = brandedIndexHtml().replace("</head>", `${preloadsFor(req.path)}</head>`);
    try {
      html = withInitialData(html, await initialData(req.path, await trpcContext(req, res)));
    } catch (err) {
      deps.logger.warn({ err, path: req.path }, "index.html sent without its first reads");
    }
    res.setHeader("cache-control", "private, no-cache");
    res.type("html").send(html);
  });
  return app;
}
