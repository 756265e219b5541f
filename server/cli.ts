import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ZodError } from "zod";
import { createAccount, getAccount, listAccounts } from "./accounts/accounts";
import { createSignInLink } from "./auth/sign-in";
import { buildClient, clientIsStale } from "./build-client";
import { ConfigError, loadConfig, publicBaseUrl, type Config } from "./config";
import { DEMO_HISTORY_DAYS, demoPlansMissing, seedDemo, type SeedResult } from "./demo/seed-demo";
import { getUsageOverview } from "./metering/usage-summary";
import type { LimitStatus } from "../shared/limits";
import { backfillBillingCycles } from "./billing/billing-cycle";
import { issueKey, withdrawKey } from "./keys/keys";
import { DomainError } from "./lib/domain-error";
import { createLogger, type Logger } from "./lib/logger";
import { createRuntime, demoKeyFile, resolveServerToken, ROLES, ROOT_DIR, startServer, type Role, type Runtime, type Started } from "./main";
import { ProviderUnavailableError } from "./billing/billing-provider";
import { syncStripeCatalogInUse } from "./billing/stripe/stripe-catalog";
import { planVersionsInUse } from "./db/queries/catalog";
import { createDodoClient } from "./billing/dodo/dodo-client";
import { syncDodoMeters } from "./billing/dodo/dodo-meters";
import { createStripeClient } from "./billing/stripe/stripe-client";
import { stripeSdk } from "./billing/stripe/stripe-sdk";
import { linkStripeCustomer } from "./billing/stripe/stripe-sync";
import { checkCatalogFile, describeCatalog } from "./plans/catalog-check";
import { migratePostgresUrl, PostgresUnavailableError } from "./db/pg/migrate";
import { experimentReport } from "./operator/experiments";
import { scorecardLines } from "../shared/experiment/report";
import { CatalogError } from "../shared/catalog-file";

const USAGE = `Usage: npm run headroom -- <command> [options] [--json]

Commands:
  start [--role all|web|worker]                 serve the portal, console and API and run the background jobs (default port 3000);
                                                web: HTTP only, no background jobs; worker: the background jobs (each under a
                                                lease in the database) and /healthz only; all (default): both
  migrate                                       apply database migrations (SQLite at DATABASE_PATH, or PostgreSQL at
                                                DATABASE_URL when it is set)
  seed-demo                                     seed demo accounts and 35 days of usage into an empty database
  accounts list                                 list accounts: plan, enforcement mode and usage against each cap now
  accounts create --name <n> --email <e> --plan <planId>
                                                create an account on one of the catalog's plans (see: catalog show)
  catalog show                                  the catalog in use (CATALOG_PATH, else the demo's): plans, prices, caps, versions
  catalog check <file>                          check a catalog file and print what loading it would change; exits 1
                                                when the file is invalid or drops a plan accounts are on
  keys create --account <id> [--name <n>]       create an API key; the full key is printed once
  keys revoke <keyId>                           revoke an API key (effective on the next call)
  portal-link --account <id>                    one-time sign-in URL for that customer's portal (10 minutes)
  operator-link [--name <n>]                    one-time sign-in URL for the operator console (10 minutes); the
                                                name is written as who did what in the audit log
  experiment report [--id <experimentId>]       the pricing experiment's scorecard (the active one by default): each criterion
                                                with its value, confidence interval and verdict, the guardrails, the overall verdict
  stripe sync                                   create or update the plans' products, meters and prices in Stripe: each
                                                plan's current version and the older ones accounts are on
                                                (STRIPE_SECRET_KEY; idempotent: a second run creates nothing)
  stripe link --account <id> --customer <cus_…> bill an account through an existing Stripe customer (and its subscription)
  dodo sync                                     create in Dodo Payments the usage meters the catalog bills (DODO_PAYMENTS_API_KEY;
                                                idempotent: a second run creates nothing)

Every command takes --json for machine-readable output.`;

class UsageError extends Error {}

type Out = { json: boolean };

function print(out: Out, human: string, data: unknown): void {
  process.stdout.write(out.json ? JSON.stringify(data, null, 2) + "\n" : human + "\n");
}

function requireOption(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v.trim() === "") throw new UsageError(`Missing --${name}.`);
  return v;
}

async function withRuntimeAsync<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  // The catalog the server last loaded: a command records no catalog of its own.
  const rt = await createRuntime({ config, logger: createLogger("warn", process.stderr), recordCatalog: false });
  try {
    return await fn(rt);
  } finally {
    // What the command changed is told to the running instances (on PostgreSQL) before the database closes.
    await rt.relay?.close();
    await rt.database.close();
  }
}

/** Where `start` records the port it listens on: beside the database, like the server token and the demo's keys. */
function serverPortFile(config: Config): string {
  return resolve(dirname(demoKeyFile(config)), "server-port");
}

/**
 * The base of the links a command prints, by the server's own rule (publicBaseUrl: PUBLIC_URL, else
 * HOST and the port): the port is the one the server on this DATABASE_PATH said it listens on at its
 * last start (PORT, or the one the system gave for PORT=0), else PORT.
 */
function linkBaseUrl(config: Config): string {
  const file = serverPortFile(config);
  const recorded = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : Number.NaN;
  return publicBaseUrl(config, Number.isInteger(recorded) && recorded > 0 ? recorded : config.PORT);
}

/** What `start` keeps of a seed for later starts: the demo customer's key and the refused account's. */
type DemoKeys = SeedResult["demoKey"] & { enforced?: SeedResult["enforcedKey"] };

function writeDemoKeys(config: Config, seeded: SeedResult): void {
  const keys: DemoKeys = { ...seeded.demoKey, enforced: seeded.enforcedKey };
  writeFileSync(demoKeyFile(config), JSON.stringify(keys) + "\n", { mode: 0o600 });
}

/** "4,016/1,000 over", "13/60", "120,480" (no cap) — one window of `accounts list`. */
function usageCell(l: Pick<LimitStatus, "used" | "limit" | "state"> | undefined): string {
  if (!l) return "–";
  const n = (v: number) => v.toLocaleString("en-US");
  if (l.limit === null) return n(l.used);
  return `${n(l.used)}/${n(l.limit)}${l.state === "over" ? " over" : l.state === "approaching" ? " near" : ""}`;
}

async function listAccountsWithUsage(rt: Runtime) {
  const { db, catalog, meter, clock } = rt.deps;
  const rows = [];
  for (const a of await listAccounts(db, catalog)) {
    const usage = await getUsageOverview(db, meter, a, clock.now());
    rows.push({
      id: a.id,
      name: a.name,
      email: a.email,
      plan: a.plan.id,
      planName: a.plan.name,
      enforcement: a.enforcement,
      // The default meter's windows, from the same counters the next call is decided on.
      limits: usage.limits.map((l) => ({ window: l.window, limit: l.limit, used: l.used, state: l.state, resetAt: new Date(l.resetAtMs).toISOString() })),
    });
  }
  return rows;
}

function requireStripeKey(config: Config): string {
  if (!config.STRIPE_SECRET_KEY) throw new ConfigError("STRIPE_SECRET_KEY is not set: the stripe commands need a Stripe secret key (sk_test_… for a test-mode account).");
  return config.STRIPE_SECRET_KEY;
}

async function catalogCommand(config: Config, out: Out, sub: string | undefined, arg: string | undefined): Promise<number> {
  if (sub === "show") {
    const shown = await withRuntimeAsync(config, (rt) => describeCatalog(rt.deps.db, rt.deps.catalog));
    print(out, shown.lines.join("\n"), shown.data);
    return 0;
  }
  if (sub === "check") {
    if (!arg) throw new UsageError("Missing <file>.");
    const checked = await withRuntimeAsync(config, (rt) => checkCatalogFile(rt.deps.db, rt.deps.catalog, arg));
    print(out, checked.lines.join("\n"), checked.data);
    return checked.data.ok ? 0 : 1;
  }
  throw new UsageError(`Unknown command: catalog ${sub ?? ""}`.trim());
}

async function stripeCommand(config: Config, out: Out, sub: string | undefined, values: Record<string, unknown>): Promise<number> {
  if (sub === "sync") {
    const stripe = createStripeClient(requireStripeKey(config), { apiBase: config.STRIPE_API_BASE });
    // The catalog as the database records it: the older plan versions accounts are on keep their prices.
    const actions = await withRuntimeAsync(config, (rt) => syncStripeCatalogInUse(rt.deps.db, stripe, rt.deps.catalog));
    const count = (a: string) => actions.filter((x) => x.action === a).length;
    const human = [
      ...actions.map((a) => `${a.action.padEnd(9)} ${a.object.padEnd(7)} ${a.key.padEnd(28)} ${a.id}${a.detail ? `  (${a.detail})` : ""}`),
      "",
      `Stripe catalog: ${count("created")} created, ${count("updated")} updated, ${count("unchanged")} unchanged.`,
    ].join("\n");
    print(out, human, { created: count("created"), updated: count("updated"), unchanged: count("unchanged"), actions });
    return 0;
  }
  if (sub === "link") {
    requireStripeKey(config);
    const input = { accountId: requireOption(values, "account"), customerId: requireOption(values, "customer") };
    const linked = await withRuntimeAsync(config, (rt) => linkStripeCustomer(rt.deps.billing, rt.deps.stripe!.provider, input));
    print(
      out,
      `Linked ${linked.accountId} to ${linked.customerId}${linked.subscriptionId ? ` and its subscription ${linked.subscriptionId} (plan ${linked.planId})` : " (no active subscription; the next upgrade goes through Stripe Checkout)"}.`,
      linked,
    );
    return 0;
  }
  throw new UsageError(`Unknown command: stripe ${sub ?? ""}`.trim());
}

async function dodoCommand(config: Config, out: Out, sub: string | undefined): Promise<number> {
  if (sub !== "sync") throw new UsageError(`Unknown command: dodo ${sub ?? ""}`.trim());
  if (!config.DODO_PAYMENTS_API_KEY) throw new UsageError("dodo sync needs DODO_PAYMENTS_API_KEY.");
  const dodo = createDodoClient(config);
  // The catalog as the database records it: the older plan versions accounts are on keep their meters.
  const actions = await withRuntimeAsync(config, async (rt) => syncDodoMeters(dodo, rt.deps.catalog, await planVersionsInUse(rt.deps.db)));
  const count = (a: string) => actions.filter((x) => x.action === a).length;
  const human = [
    ...actions.map((a) => `${a.action.padEnd(9)} meter   ${a.eventName.padEnd(28)} ${a.id}`),
    "",
    `Dodo meters: ${count("created")} created, ${count("unchanged")} unchanged. Attach them to the plans' products in Dodo's dashboard.`,
  ].join("\n");
  print(out, human, { created: count("created"), unchanged: count("unchanged"), actions });
  return 0;
}

function roleOf(values: Record<string, unknown>): Role {
  const role = values.role ?? "all";
  if (!ROLES.includes(role as Role)) throw new UsageError(`Unknown role: ${String(role)} (expected ${ROLES.join(", ")}).`);
  return role as Role;
}

async function start(config: Config, out: Out, role: Role): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  // A worker serves no portal.
  if (role !== "worker" && clientIsStale(ROOT_DIR)) {
    logger.info("building the portal (dist/client is missing or older than its sources)");
    await buildClient(ROOT_DIR);
  }
  // A short busy timeout: a second process holding the write lock must not stall the event loop.
  const runtime = await createRuntime({ config, logger, busyTimeoutMs: 250 });
  const { deps } = runtime;
  // Another catalog than the demo's starts without the demo accounts, which are on the demo's plans.
  const demoFits = demoPlansMissing(deps.catalog).length === 0;
  if (config.HEADROOM_DEMO && !demoFits) logger.warn({ catalog: config.CATALOG_PATH }, "the demo accounts are not seeded: they are on plans this catalog does not have");
  const graceMs = config.ENFORCEMENT_GRACE_HOURS * 3_600_000;
  const seeded = config.HEADROOM_DEMO && demoFits ? await seedDemo(deps.db, deps.catalog, deps.clock, { links: deps.notify, graceMs }) : null;
  if (seeded) {
    writeDemoKeys(config, seeded);
    // Invoices for the demo's past billing periods, as the billing calendar would have issued them.
    await backfillBillingCycles(deps.billing, DEMO_HISTORY_DAYS);
  }
  const demoKeys = existsSync(demoKeyFile(config)) ? (JSON.parse(readFileSync(demoKeyFile(config), "utf8")) as DemoKeys) : null;
  const demoKey = demoKeys && { accountId: demoKeys.accountId, key: demoKeys.key };
  const started = await startServer(runtime, { role });
  const base = deps.baseUrl();
  // The CLI's links (portal-link, operator-link) use this port too, whatever PORT the command sees.
  if (role !== "worker") writeFileSync(serverPortFile(config), `${started.http.port}\n`);
  const token = resolveServerToken(config);
  if (role === "worker") {
    const info = { url: base, role, holder: started.jobs!.holder, jobs: started.jobs!.held(), health: `${base}/healthz` };
    if (out.json) print(out, "", info);
    else {
      const running = info.jobs.length ? `running here now: ${info.jobs.join(", ")}` : "none running here yet: another process holds their leases";
      process.stdout.write(`\n  Headroom worker ${info.holder}: background jobs (${running}).\n\n  Health: ${info.health}\n\n`);
    }
    onSignals(started, logger);
    return;
  }
  const accounts = await listAccounts(deps.db, deps.catalog);
  const demoAccount = accounts.find((a) => a.id === "acc_demo_acme") ?? accounts[0];
  const portal = demoAccount ? await createSignInLink(deps.db, deps.clock, { role: "customer", accountId: demoAccount.id, returnUrl: null }) : null;
  const operator = await createSignInLink(deps.db, deps.clock, { role: "operator" });
  const info = {
    url: base,
    seeded: seeded ? { accounts: seeded.accounts.length, minuteRows: seeded.minuteRows } : null,
    portalLink: portal && demoAccount ? { account: demoAccount.id, url: `${base}/auth/link?token=${portal.token}` } : null,
    operatorLink: `${base}/auth/link?token=${operator.token}`,
    role,
    serverToken: token.path ? { storedIn: token.path, value: token.token } : { fromEnvironment: "HEADROOM_SERVER_TOKEN" },
    demoApiKey: demoKey,
    enforcedApiKey: demoKeys?.enforced ?? null,
  };
  const bearer = token.path ? token.token : "$HEADROOM_SERVER_TOKEN";
  if (out.json) print(out, "", info);
  else {
    const lines = [
      "",
      `  Headroom is running at ${base}`,
      seeded ? `  Demo data seeded: ${seeded.accounts.length} accounts, 35 days of usage.` : "",
      portal && demoAccount ? `  Customer portal (${demoAccount.name}, one-time link, 10 min):\n    ${info.portalLink!.url}` : "",
      `  Operator console (one-time link, 10 min):\n    ${info.operatorLink}`,
      token.path ? `  Server token for /v1 (kept in ${token.path}):\n    ${token.token}` : "  Server token: HEADROOM_SERVER_TOKEN",
      demoKey
        ? [
            `  Try it (the demo API is metered with the demo customer's key):`,
            `    curl -i -H "Authorization: Bearer ${demoKey.key}" ${base}/demo-api/weather?city=Oslo`,
            `    curl -s -X POST -H "Authorization: Bearer ${bearer}" -H "content-type: application/json" \\`,
            `      -d '{"key":"${demoKey.key}","cost":1}' ${base}/v1/check`,
          ].join("\n")
        : `  Try the API:\n    curl -s -H "Authorization: Bearer ${bearer}" ${base}/v1/plans`,
      demoKeys?.enforced
        ? [
            `  A refusal (429) — Fjord Mobile is on Free, enforced, past its monthly cap and its grace period:`,
            `    curl -i -H "Authorization: Bearer ${demoKeys.enforced.key}" ${base}/demo-api/weather?city=Oslo`,
          ].join("\n")
        : "",
      `  New links any time: npm run headroom -- portal-link --account <id> | operator-link`,
      role === "web" ? "  Role web: this process runs no background jobs (billing calendar, e-mail, Stripe); run one with --role worker." : "",
      "",
    ];
    process.stdout.write(lines.filter(Boolean).join("\n\n") + "\n\n");
  }
  onSignals(started, logger);
}

/** Ctrl-C or SIGTERM: a graceful stop within 5 seconds. */
function onSignals(started: Started, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.error("shutdown took longer than 5 s; exiting");
      process.exit(1);
    }, 5_000);
    force.unref();
    started.stop().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

export async function runCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      name: { type: "string" },
      email: { type: "string" },
      plan: { type: "string" },
      account: { type: "string" },
      customer: { type: "string" },
      role: { type: "string" },
      id: { type: "string" },
    },
  });
  const out: Out = { json: values.json ?? false };
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + "\n");
    return command ? 0 : 2;
  }
  const config = loadConfig();

  switch (command) {
    case "start":
      await start(config, out, roleOf(values));
      return -1; // keep running
    case "migrate":
      if (config.DATABASE_URL) {
        const done = await migratePostgresUrl(config.DATABASE_URL);
        print(out, `Database ${done.database} (PostgreSQL, schema ${done.schema}) is up to date${done.applied ? ` (${done.applied} migration${done.applied === 1 ? "" : "s"} applied)` : ""}.`, { ...done, migrated: true });
        return 0;
      }
      await withRuntimeAsync(config, async () => undefined);
      print(out, `Database ${config.DATABASE_PATH} is up to date.`, { database: config.DATABASE_PATH, migrated: true });
      return 0;
    case "seed-demo": {
      const result = await withRuntimeAsync(config, async (rt) => {
        const seeded = await seedDemo(rt.deps.db, rt.deps.catalog, rt.deps.clock, {
          links: { baseUrl: () => linkBaseUrl(config), linkSecret: rt.deps.notify.linkSecret, brand: rt.deps.notify.brand },
          graceMs: config.ENFORCEMENT_GRACE_HOURS * 3_600_000,
        });
        if (seeded) await backfillBillingCycles(rt.deps.billing, DEMO_HISTORY_DAYS);
        return seeded;
      });
      if (!result) {
        print(out, "The database already has accounts; the demo is seeded only into an empty database.", { seeded: false });
        return 1;
      }
      writeDemoKeys(config, result);
      print(out, `Seeded ${result.accounts.length} demo accounts with 35 days of usage (${result.minuteRows} minute rows).`, {
        seeded: true,
        accounts: result.accounts.map((a) => ({ id: a.id, name: a.name, plan: a.plan.id })),
      });
      return 0;
    }
    case "accounts":
      if (sub === "list") {
        const rows = await withRuntimeAsync(config, listAccountsWithUsage);
        const table = [
          ["ACCOUNT", "NAME", "PLAN", "MODE", "MINUTE", "DAY", "MONTH"],
          ...rows.map((r) => [r.id, r.name, r.planName, r.enforcement, ...(["minute", "day", "month"] as const).map((w) => usageCell(r.limits.find((l) => l.window === w)))]),
        ];
        const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        const human = rows.length
          ? [...table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()), "", "Usage now against each cap (MONTH: the billing month); \"over\": past the cap, \"near\": past the first warning."].join("\n")
          : "No accounts yet. Create one with: npm run headroom -- accounts create --name <n> --email <e> --plan <planId>";
        print(out, human, rows);
        return 0;
      }
      if (sub === "create") {
        const input = { name: requireOption(values, "name"), email: requireOption(values, "email"), planId: requireOption(values, "plan") };
        const account = await withRuntimeAsync(config, (rt) => createAccount(rt.deps.db, rt.deps.catalog, rt.deps.clock, input));
        print(out, `Created ${account.id} (${account.name}, ${account.plan.name}).`, { id: account.id, name: account.name, email: account.email, plan: account.plan.id });
        return 0;
      }
      throw new UsageError(`Unknown command: accounts ${sub ?? ""}`.trim());
    case "keys":
      if (sub === "create") {
        const accountId = requireOption(values, "account");
        const key = await withRuntimeAsync(config, (rt) => issueKey({ ...rt.deps, maxActiveKeys: rt.deps.config.MAX_ACTIVE_KEYS }, { accountId, name: values.name }, "operator:cli"));
        print(out, `Created key ${key.id} "${key.name}" for ${accountId}.\n\n  ${key.key}\n\nStore it now: it will not be shown again.`, key);
        return 0;
      }
      if (sub === "revoke") {
        if (!arg) throw new UsageError("Missing <keyId>.");
        const key = await withRuntimeAsync(config, (rt) => withdrawKey(rt.deps, { keyId: arg }, "operator:cli"));
        print(out, `Revoked ${key.id} (${key.prefix}…); calls with it are refused from now on.`, key);
        return 0;
      }
      throw new UsageError(`Unknown command: keys ${sub ?? ""}`.trim());
    case "portal-link":
    case "operator-link": {
      const accountId = command === "portal-link" ? requireOption(values, "account") : null;
      const link = await withRuntimeAsync(config, async (rt) => {
        if (accountId) await getAccount(rt.deps.db, rt.deps.catalog, accountId);
        return createSignInLink(rt.deps.db, rt.deps.clock, accountId ? { role: "customer", accountId } : { role: "operator", operatorName: values.name ?? null });
      });
      const url = `${linkBaseUrl(config)}/auth/link?token=${link.token}`;
      print(out, `${url}\n(one-time link, valid until ${new Date(link.expiresAtMs).toISOString()})`, { url, expiresAt: new Date(link.expiresAtMs).toISOString() });
      return 0;
    }
    case "stripe":
      return stripeCommand(config, out, sub, values);
    case "dodo":
      return dodoCommand(config, out, sub);
    case "experiment": {
      if (sub !== "report") throw new UsageError(`Unknown command: experiment ${sub ?? ""}`.trim());
      const id = typeof values.id === "string" ? values.id : undefined;
      const report = await withRuntimeAsync(config, (rt) => experimentReport(rt.deps.billing, id));
      if (!report) {
        print(out, "No experiment yet: create one on the console's Experiment page.", null);
        return 1;
      }
      print(out, scorecardLines(report.experiment.name, report.scorecard).join("\n"), report);
      return 0;
    }
    case "catalog":
      return catalogCommand(config, out, sub, arg);
    default:
      throw new UsageError(`Unknown command: ${command}`);
  }
}

async function main(): Promise<void> {
  try {
    const code = await runCli(process.argv.slice(2));
    if (code >= 0) process.exitCode = code;
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (err instanceof ConfigError || err instanceof CatalogError) {
      process.stderr.write(err.message + "\n");
      process.exitCode = 2;
    } else if (err instanceof DomainError || err instanceof ProviderUnavailableError || err instanceof PostgresUnavailableError || (err instanceof Error && err.name.startsWith("Stripe") && err instanceof stripeSdk().errors.StripeError)) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
    } else if (err instanceof ZodError) {
      const issue = err.issues[0]!;
      process.stderr.write(`${issue.path.join(".") || "input"}: ${issue.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    }
  }
}

await main();
