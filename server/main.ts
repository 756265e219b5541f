import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createApp, createWorkerApp } from "./app";
import { listAccounts } from "./accounts/accounts";
import { brandOf, loadConfig, mailFrom, publicBaseUrl, type Config } from "./config";
import { openStore, type OpenedStore } from "./db/open-store";
import { PgNotifyRelayTransport } from "./db/pg/change-relay-transport";
import { pgMeteringQueries } from "./db/pg/queries/metering";
import { persistedUsage } from "./db/queries/usage";
import { PrimedReads } from "./metering/primed-reads";
import pg from "pg";
import type { Deps } from "./deps";
import { systemClock, type Clock } from "./lib/clock";
import { newSecret } from "./lib/ids";
import { ChangeFeed } from "./lib/change-feed";
import { createLogger, type Logger } from "./lib/logger";
import { Metrics } from "./lib/metrics";
import { listen, type RunningServer } from "./server";
import { Meter } from "./metering/meter";
import { RedisCounterStore } from "./metering/redis-counter-store";
import { Redis } from "ioredis";
import { ChangeRelay, RedisRelayTransport } from "./lib/change-relay";
import { meteringRoutes } from "./http/metering-routes";
import { Detector } from "./detection/detect";
import { DeliveryWorker } from "./notify/delivery-worker";
import { smtpMailer } from "./notify/mailer";
import type { NotifyContext } from "./notify/notices";
import { PlanAdvisor } from "./plans/plan-advisor";
import { checkCatalogCovers, DEMO_CATALOG_PATH, loadCatalog } from "./plans/load-catalog";
import { catalogInUse, recordCatalog } from "./plans/catalog-versions";
import type { Catalog } from "../shared/catalog";
import type { BillingContext } from "./billing/billing-context";
import { runBillingCycle } from "./billing/billing-cycle";
import { LocalBillingProvider } from "./billing/local-provider";
import { createStripeBilling, createStripeProvider, type StripeRuntimeOptions } from "./billing/stripe/stripe-billing";
import { createDodoBilling, createDodoProvider, type DodoRuntimeOptions } from "./billing/dodo/dodo-billing";
import { SingletonJobs } from "./jobs/singleton-jobs";

/** The NOTIFY channel of the change relay on PostgreSQL (channels are per database: installations sharing one also share it, which costs them only re-reads). */
export const PG_CHANGES_CHANNEL = "headroom_changes";

export const ROOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CLIENT_DIR = resolve(ROOT_DIR, "dist/client");

/** The directory beside the database file, where the generated server token is kept. */
function dataDir(config: Config): string {
  return config.DATABASE_PATH === ":memory:" ? resolve(ROOT_DIR, "data") : dirname(resolve(config.DATABASE_PATH));
}

/** The demo's API key, kept beside the database when the demo is seeded so `start` can print it. */
export function demoKeyFile(config: Config): string {
  return resolve(dataDir(config), "demo-api-key");
}

/** HEADROOM_SERVER_TOKEN, or one generated on first start and kept in the data directory. */
export function resolveServerToken(config: Config): { token: string; generated: boolean; path: string | null } {
  if (config.HEADROOM_SERVER_TOKEN) return { token: config.HEADROOM_SERVER_TOKEN, generated: false, path: null };
  const path = resolve(dataDir(config), "server-token");
  if (existsSync(path)) return { token: readFileSync(path, "utf8").trim(), generated: false, path };
  mkdirSync(dirname(path), { recursive: true });
  const token = `hr_server_${newSecret(24)}`;
  writeFileSync(path, token + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, generated: true, path };
}

export interface Runtime {
  deps: Deps;
  database: OpenedStore;
  /** Carries the change feed to the other instances (with REDIS_URL, in a server process). */
  relay: ChangeRelay | null;
  /** Listening on port 0 learns the real port only after listen(); links must use it. */
  setPort(port: number): void;
}

/**
 * Opens and migrates the database, records the catalog's plan versions and builds the dependencies;
 * nothing listens yet.
 */
export async function createRuntime(opts: { config?: Config; catalog?: Catalog; recordCatalog?: boolean; clock?: Clock; logger?: Logger; busyTimeoutMs?: number; defaultMetrics?: boolean; stripe?: StripeRuntimeOptions; dodo?: DodoRuntimeOptions; clientDir?: string } = {}): Promise<Runtime> {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  // The provider's plans: a bad file stops here, before the database is opened, with one line naming the plan and field.
  const file = opts.catalog ?? loadCatalog(config.CATALOG_PATH);
  const database = await openStore(config, { busyTimeoutMs: opts.busyTimeoutMs ?? 5_000, applicationName: opts.recordCatalog === false ? "headroom-cli" : "headroom" });
  let baseUrl = publicBaseUrl(config, config.PORT);
  const clock = opts.clock ?? systemClock;
  // Terms that changed in the file become new plan versions; accounts keep the versions they are on.
  // A command that is not the server (recordCatalog: false) reads the catalog the server last loaded instead.
  const catalog = opts.recordCatalog === false ? await catalogInUse(database.db, file) : await recordCatalog(database.db, clock, file, config.CATALOG_PATH ?? DEMO_CATALOG_PATH);
  // What changed, for whoever keeps something about it: built first, so nothing refers to a part not made yet.
  const feed = new ChangeFeed(logger);
  const advisor = new PlanAdvisor(database.db, clock, catalog);
  const serverToken = resolveServerToken(config).token;
  const notify: NotifyContext = {
    db: database.db,
    clock,
    baseUrl: () => baseUrl,
    linkSecret: serverToken,
    webhookUrl: config.NOTIFY_WEBHOOK_URL ?? null,
    smtp: Boolean(config.SMTP_URL),
    brand: brandOf(config),
  };
  const metrics = new Metrics(opts.defaultMetrics ?? true);
  // On PostgreSQL the meter reads ahead what each call will look up (PrimedReads); on SQLite it reads the file as it goes.
  const pgMetering = database.dialect === "pg" ? pgMeteringQueries(database.db, clock) : null;
  const primed = pgMetering ? new PrimedReads(pgMetering) : null;
  const persisted = database.dialect === "sqlite" ? persistedUsage(database.sqlite) : primed!.persistedUsage;
  // With REDIS_URL the windows' counts are shared by every instance; without it, kept in this process's memory.
  // A command that is not the server (recordCatalog: false) meters no calls: it reads its counts from the rollups.
  let counters: RedisCounterStore | undefined;
  if (config.REDIS_URL && opts.recordCatalog !== false) {
    counters = new RedisCounterStore({
      url: config.REDIS_URL,
      prefix: config.REDIS_KEY_PREFIX,
      persisted,
      ...(pgMetering ? { seed: pgMetering.persisted } : {}),
      ceilingPerMeter: catalog.data.keyCeiling === "per-meter",
      clock,
      logger,
      metrics,
    });
    await counters.connect();
  }
  const meter = new Meter<boolean>({
    counters,
    catalog,
    metrics,
    ...(database.dialect === "sqlite" ? { sqlite: database.sqlite } : { primed: primed!, prepareRecommendation: (accountId: string) => advisor.prepare(accountId) }),
    clock,
    logger,
    flushMs: config.METER_FLUSH_MS,
    ceilingPerMinute: config.KEY_CEILING_PER_MINUTE,
    graceMs: config.ENFORCEMENT_GRACE_HOURS * 3_600_000,
    maxLatenessMs: config.EVENTS_MAX_LATENESS_HOURS * 3_600_000,
    recommendPlan: (accountId) => advisor.switchFor(accountId)?.planId ?? null,
    onFlushed: (accountIds) => feed.publish({ kind: "usage.flushed", accountIds }),
    onChangedElsewhere: () => feed.publish({ kind: "changed.elsewhere" }),
  });
  const detector = new Detector({ db: database.db, clock, logger, meter, notify, graceMs: config.ENFORCEMENT_GRACE_HOURS * 3_600_000, recommend: async (id) => (await advisor.compare(id))?.switchTo ?? null });
  // Who keeps what: the meter its keys, terms and counters; the advisor its answers; detection runs on fresh advice.
  feed.subscribe("keys.changed", () => meter.invalidateKeys());
  feed.subscribe("terms.changed", (c) => meter.invalidateAccount(c.accountId));
  feed.subscribe("modes.changed", () => meter.invalidateAllTerms());
  feed.subscribe("plan.changed", (c) => {
    meter.reloadAccount(c.accountId);
    advisor.invalidate(c.accountId);
  });
  feed.subscribe("usage.flushed", (c) => {
    // New usage can change the advice: recompute it (lazily) from the rollups just written, before detection reads it.
    for (const id of c.accountIds) advisor.invalidate(id);
    // Not awaited: the flush that published this does not wait for its notices (evaluate logs its own failures).
    void detector.evaluate(c.accountIds);
  });
  // Another process committed: advice cached here is checked against the accounts' terms before it is used again.
  feed.subscribe("changed.elsewhere", () => advisor.changedElsewhere());
  // With Redis, or on PostgreSQL, what changes on one instance reaches the others at once (decision 0005).
  // On one SQLite file a process sees another's commits by PRAGMA data_version; on PostgreSQL there is
  // no such thing, so a command (the CLI) publishes its changes too, without listening.
  let relay: ChangeRelay | null = null;
  const serving = opts.recordCatalog !== false;
  const transport = config.REDIS_URL && serving
    ? new RedisRelayTransport({
        // Publishing fails at once while Redis is away (logged); the subscriber reconnects and subscribes again by itself.
        pub: new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000 }),
        sub: new Redis(config.REDIS_URL, { connectTimeout: 1_000 }),
        channel: `${config.REDIS_KEY_PREFIX}changes`,
        logger,
      })
    : database.dialect === "pg"
      ? new PgNotifyRelayTransport({ pool: database.pool, connect: () => new pg.Client({ connectionString: database.url, application_name: "headroom-changes" }), channel: PG_CHANGES_CHANNEL, logger })
      : null;
  if (transport) {
    relay = new ChangeRelay({
      feed,
      transport,
      listen: serving,
      logger,
      // Changes published while this instance was cut off were missed: everything cached is read again.
      onResubscribed: () => {
        meter.invalidateKeys();
        meter.invalidateAllTerms();
        advisor.changedElsewhere();
      },
    });
    await relay.start();
  }
  const delivery = new DeliveryWorker({
    db: database.db,
    clock,
    logger,
    mailer: config.SMTP_URL ? smtpMailer(config.SMTP_URL, mailFrom(config)) : null,
    webhookSecret: config.NOTIFY_WEBHOOK_SECRET ?? null,
    onDelivered: (accountId) => feed.publish({ kind: "terms.changed", accountId }),
  });
  // With STRIPE_SECRET_KEY the provider's Stripe account bills; its local ledger mirrors Stripe's invoices.
  const stripeProvider = createStripeProvider(config, catalog, () => baseUrl, opts.stripe);
  // With DODO_PAYMENTS_API_KEY Dodo Payments bills instead (the configuration refuses both).
  const dodoProvider = createDodoProvider(config, catalog, () => baseUrl, opts.dodo);
  const billing: BillingContext = {
    db: database.db,
    catalog,
    clock,
    logger,
    provider: stripeProvider ?? dodoProvider ?? new LocalBillingProvider(),
    notify,
    advisor,
    billingCapMinor: config.BILLING_CAP_CENTS,
    onPlanChanged: (accountId) => feed.publish({ kind: "plan.changed", accountId }),
  };
  const stripe = stripeProvider ? createStripeBilling(billing, stripeProvider, config, opts.stripe) : null;
  const dodo = dodoProvider ? createDodoBilling(billing, dodoProvider, config, opts.dodo) : null;
  const deps: Deps = {
    config,
    catalog,
    db: database.db,
    clock,
    logger,
    meter,
    metrics,
    feed,
    detector,
    notify,
    delivery,
    advisor,
    billing,
    stripe,
    dodo,
    serverToken,
    baseUrl: () => baseUrl,
    clientDir: opts.clientDir ?? CLIENT_DIR,
  };
  return {
    deps,
    database,
    relay,
    setPort: (port) => {
      baseUrl = publicBaseUrl(config, port);
    },
  };
}

/**
 * What a process does: `web` serves HTTP (portal, console, /v1, the meter and its flush) and runs no
 * singleton job; `worker` runs the singleton jobs and serves only /healthz; `all` (one process,
 * `npm start`) does both.
 */
export const ROLES = ["all", "web", "worker"] as const;
export type Role = (typeof ROLES)[number];

export interface Started {
  runtime: Runtime;
  role: Role;
  http: RunningServer;
  /** The singleton jobs and their leases (null in a web process). */
  jobs: SingletonJobs | null;
  stop(): Promise<void>;
}

/** The jobs that must run in one process at a time, each under its own lease. */
function singletonJobs(deps: Deps): SingletonJobs {
  const jobs = new SingletonJobs({ db: deps.db, clock: deps.clock, logger: deps.logger, leaseMs: deps.config.JOB_LEASE_MS });
  // The billing calendar: scheduled downgrades and period invoices, when the lease is taken and every minute.
  jobs.every("billing-cycle", 60_000, () => runBillingCycle(deps.billing), { atStart: true, awaitFirstRun: true });
  // Forget idempotency ids past their 48 h retention, hourly.
  jobs.every("prune-ids", 3_600_000, () => deps.meter.pruneIds(48 * 3_600_000));
  // The outbox: its claim of a row is safe with several senders, but one sender polls instead of N.
  jobs.every("notice-delivery", deps.delivery.intervalMs, () => deps.delivery.tick());
  // Stripe: plan changes left "applying" are finished (same keys), usage goes to the meters.
  const stripe = deps.stripe;
  if (stripe) jobs.every("stripe-worker", stripe.worker.intervalMs, () => stripe.worker.runOnce(), { atStart: true, stopWaitMs: 1_500 });
  // Dodo: changes left "applying" are reconciled (re-read before anything is sent again), usage goes out as events.
  const dodo = deps.dodo;
  if (dodo) jobs.every("dodo-worker", dodo.worker.intervalMs, () => dodo.worker.runOnce(), { atStart: true, stopWaitMs: 1_500 });
  return jobs;
}

/**
 * Starts serving (or, as a worker, only /healthz) and, unless `web`, the singleton jobs whose lease
 * this process can take. stop() stops accepting, finishes open requests, stops the jobs and releases
 * their leases, then closes the database.
 */
export async function startServer(runtime: Runtime, opts: { role?: Role } = {}): Promise<Started> {
  const { deps, database } = runtime;
  const role = opts.role ?? "all";
  // Every plan the data still needs must be in the catalog: a plan dropped from the file stops start-up, naming it.
  await checkCatalogCovers(deps.db, deps.catalog, deps.config.CATALOG_PATH ?? DEMO_CATALOG_PATH);
  const serves = role !== "worker";
  const jobs = role === "web" ? null : singletonJobs(deps);
  const app = serves ? createApp(deps) : createWorkerApp(deps, jobs!);
  const http = await listen(app, { port: deps.config.PORT, host: deps.config.HOST, lean: serves ? meteringRoutes(deps, deps.meter) : undefined });
  runtime.setPort(http.port);
  if (serves) deps.meter.start();
  // Alone on its database, a process takes every lease at once: the billing cycle has run when this returns.
  await jobs?.start();
  // Usage that arrived while the server was down (or seeded) is evaluated once at start.
  if (serves) await deps.detector.evaluate((await listAccounts(deps.db, deps.catalog)).map((a) => a.id));
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      // The leases are released as soon as the jobs have stopped, so another process takes them over at once.
      await Promise.all([http.close(2_500), jobs?.stop()]);
      // Everything counted before the last request finished is written before the database closes.
      await deps.meter.stop(2_000);
      // The notices of that last flush are raised before the database closes.
      await deps.detector.settled();
      await deps.delivery.stop();
      await runtime.relay?.close();
      await database.close();
    })());
  return { runtime, role, http, jobs, stop };
}
