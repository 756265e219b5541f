import { z } from "zod";
import { type Brand, contrastWithWhite, DEFAULT_BRAND, MIN_PRIMARY_CONTRAST, normalizeHexColor } from "../shared/brand";

const bool = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"], { message: "expected true/false (or 1/0, yes/no, on/off)" })
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

const url = (protocols: string[]) =>
  z
    .string()
    .url({ message: "expected an absolute URL" })
    .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), { message: `expected a ${protocols.join(" or ").replace(/:/g, "")} URL` });

const intIn = (min: number, max: number) =>
  z.coerce
    .number({ message: "expected a whole number" })
    .int({ message: "expected a whole number" })
    .min(min, { message: `expected at least ${min}` })
    .max(max, { message: `expected at most ${max}` });

/** Every setting Headroom reads from the environment; documented in docs/configuration.md. */
export const configSchema = z.object({
  PORT: intIn(0, 65_535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_PATH: z.string().min(1).default("./data/headroom.db"),
  /**
   * PostgreSQL instead of the SQLite file at DATABASE_PATH (postgres://user:password@host:5432/db; the
   * schema is the role's search_path, or `?options=-c%20search_path%3D<schema>`). Migrated at start, as the SQLite file is.
   */
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  /** Connections one process may hold to DATABASE_URL at once (every instance's count adds up against the server's max_connections). */
  DATABASE_POOL_SIZE: intIn(1, 1_000).default(10),
  /** The provider's catalog file (plans, meters, prices); without it, the demo catalog that ships beside the README. */
  CATALOG_PATH: z.string().min(1).optional(),
  PUBLIC_URL: url(["http:", "https:"]).optional(),
  HEADROOM_SERVER_TOKEN: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
  HEADROOM_ADMIN_TOKEN: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
  HEADROOM_DEMO: bool.default(true),
  SMTP_URL: url(["smtp:", "smtps:"]).optional(),
  /** Sender of e-mails: `Name <address>`, or a bare address that then carries BRAND_NAME (see mailFrom). */
  MAIL_FROM: z.string().min(3).optional(),
  /** The provider's product name, shown to customers instead of "Headroom". */
  BRAND_NAME: z.string().trim().min(1).max(60, { message: "expected at most 60 characters" }).default(DEFAULT_BRAND.name),
  BRAND_LOGO_URL: url(["http:", "https:"]).optional(),
  /** Buttons, links and the e-mails' accents; white text goes on it, so it must be dark enough. */
  BRAND_PRIMARY_COLOR: z
    .string()
    .transform((v, ctx) => {
      const hex = normalizeHexColor(v);
      if (!hex) {
        ctx.addIssue({ code: "custom", message: "expected a hex colour such as #4f46e5" });
        return z.NEVER;
      }
      const ratio = contrastWithWhite(hex);
      if (ratio < MIN_PRIMARY_CONTRAST) {
        ctx.addIssue({ code: "custom", message: `expected a colour dark enough for white text (contrast ${MIN_PRIMARY_CONTRAST}:1 with white; this one has ${(Math.floor(ratio * 10) / 10).toFixed(1)}:1)` });
        return z.NEVER;
      }
      return hex;
    })
    .default(DEFAULT_BRAND.primaryColor),
  BRAND_SUPPORT_EMAIL: z.email({ message: "expected an e-mail address" }).optional(),
  /** The footer's legal link: its words (default "Legal") and where it goes. */
  BRAND_LEGAL_LABEL: z.string().trim().min(1).max(60, { message: "expected at most 60 characters" }).optional(),
  BRAND_LEGAL_URL: url(["http:", "https:"]).optional(),
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_/, { message: "expected a Stripe secret key (sk_test_… or sk_live_…)" }).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_/, { message: "expected a webhook signing secret (whsec_…)" }).optional(),
  STRIPE_API_BASE: url(["http:", "https:"]).optional(),
  /** Billing through Dodo Payments instead of Stripe (a bearer API key from the Dodo dashboard). */
  DODO_PAYMENTS_API_KEY: z.string().min(8, { message: "expected a Dodo Payments API key" }).optional(),
  /** The Standard Webhooks signing key of the Dodo webhook endpoint (whsec_…); without it POST /webhooks/dodo answers 404. */
  DODO_PAYMENTS_WEBHOOK_KEY: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, { message: "expected a webhook signing key (whsec_…)" }).optional(),
  DODO_PAYMENTS_ENVIRONMENT: z.enum(["test_mode", "live_mode"], { message: "expected test_mode or live_mode" }).default("test_mode"),
  /** Another API address than the environment's (tests point it at the Dodo double). */
  DODO_PAYMENTS_BASE_URL: url(["http:", "https:"]).optional(),
  /**
   * How Dodo charges a change made now: the prorated difference (default), the difference of the two
   * plans' full prices, or the new plan's full price. https://docs.dodopayments.com/developer-resources/subscription-upgrade-downgrade
   */
  DODO_PAYMENTS_PRORATION: z.enum(["prorated_immediately", "difference_immediately", "full_immediately"], { message: "expected prorated_immediately, difference_immediately or full_immediately" }).default("prorated_immediately"),
  NOTIFY_WEBHOOK_URL: url(["http:", "https:"]).optional(),
  NOTIFY_WEBHOOK_SECRET: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Log every request to /v1/check and /v1/events, not only refusals, errors and slow ones (the others are counted in /metrics). */
  METER_ACCESS_LOG: bool.default(false),
  /** A request to /v1/check or /v1/events that takes longer than this is logged even when it was allowed. */
  METER_SLOW_REQUEST_MS: intIn(1, 600_000).default(100),
  METER_FLUSH_MS: intIn(10, 60_000).default(250),
  /** Redis shared by every instance for the windows' counts (exact counting behind a load balancer); without it, each process counts in its own memory. */
  REDIS_URL: url(["redis:", "rediss:"]).optional(),
  /** Prefix of every Redis key Headroom writes, so several deployments (or tests) can share one Redis. */
  REDIS_KEY_PREFIX: z.string().min(1).max(100).default("headroom:"),
  JOB_LEASE_MS: intIn(1_000, 600_000).default(30_000),
  KEY_CEILING_PER_MINUTE: intIn(1, 10_000_000).default(1_000),
  ENFORCEMENT_GRACE_HOURS: intIn(0, 24 * 90).default(72),
  EVENTS_MAX_LATENESS_HOURS: intIn(1, 47).default(24),
  MAX_ACTIVE_KEYS: intIn(1, 1_000).default(10),
  BILLING_CAP_CENTS: intIn(0, 1_000_000_000).default(100_000),
  SESSION_TTL_MINUTES: intIn(5, 60 * 24 * 30).default(60 * 12),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Parses the environment once; a bad value throws one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = configSchema
    .refine((c) => !c.NOTIFY_WEBHOOK_URL || c.NOTIFY_WEBHOOK_SECRET, { message: "required when NOTIFY_WEBHOOK_URL is set", path: ["NOTIFY_WEBHOOK_SECRET"] })
    .refine((c) => !c.BRAND_LEGAL_LABEL || c.BRAND_LEGAL_URL, { message: "needs BRAND_LEGAL_URL (where the link goes)", path: ["BRAND_LEGAL_LABEL"] })
    .refine((c) => !(c.STRIPE_SECRET_KEY && c.DODO_PAYMENTS_API_KEY), { message: "set either STRIPE_SECRET_KEY or DODO_PAYMENTS_API_KEY, not both (one billing provider bills)", path: ["DODO_PAYMENTS_API_KEY"] })
    .safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    // A key, secret or token is never repeated in an error (it would end up in a log).
    const shown = /(_KEY|_SECRET|_TOKEN)$/.test(name) ? "***" : withoutPassword(cleaned[name] ?? "");
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(shown)}: ${issue.message}`);
  }
  return result.data;
}

/** A URL's password is not repeated in an error message (DATABASE_URL=mysql://app:secret@… must not end up in a log). */
export function withoutPassword(value: string): string {
  if (!URL.canParse(value)) return value;
  const u = new URL(value);
  if (!u.password) return value;
  u.password = "***";
  return u.toString();
}

/** The provider's brand from the configuration (Headroom's own where nothing is set). */
export function brandOf(config: Config): Brand {
  return {
    name: config.BRAND_NAME,
    logoUrl: config.BRAND_LOGO_URL ?? null,
    primaryColor: config.BRAND_PRIMARY_COLOR,
    supportEmail: config.BRAND_SUPPORT_EMAIL ?? null,
    legal: config.BRAND_LEGAL_URL ? { label: config.BRAND_LEGAL_LABEL ?? "Legal", url: config.BRAND_LEGAL_URL } : null,
  };
}

const DEFAULT_MAIL_ADDRESS = "no-reply@headroom.local";

/**
 * The sender of e-mails: MAIL_FROM as written when it names someone (`Acme <billing@acme.example>`),
 * else its bare address (or Headroom's) under the provider's name, so customers see who writes.
 */
export function mailFrom(config: Config): string | { name: string; address: string } {
  const given = config.MAIL_FROM?.trim();
  if (given && /<[^>]+>\s*$/.test(given)) return given;
  return { name: config.BRAND_NAME, address: given || DEFAULT_MAIL_ADDRESS };
}

/** The base URL links point at: PUBLIC_URL, or the address the server listens on. */
export function publicBaseUrl(config: Config, port: number): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL.replace(/\/+$/, "");
  const host = config.HOST === "0.0.0.0" || config.HOST === "::" || config.HOST === "127.0.0.1" ? "localhost" : config.HOST;
  return `http://${host}:${port}`;
}
