import { describe, expect, it } from "vitest";
import { brandOf, ConfigError, loadConfig, mailFrom, publicBaseUrl } from "./config";

describe("loadConfig", () => {
  it("has documented defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, HOST: "127.0.0.1", DATABASE_PATH: "./data/headroom.db", HEADROOM_DEMO: true, METER_FLUSH_MS: 250, LOG_LEVEL: "info", METER_ACCESS_LOG: false, METER_SLOW_REQUEST_MS: 100, REDIS_KEY_PREFIX: "headroom:" });
    expect(c.REDIS_URL).toBeUndefined();
    expect(loadConfig({ REDIS_URL: "redis://cache:6379/2" }).REDIS_URL).toBe("redis://cache:6379/2");
    expect(publicBaseUrl(c, 3000)).toBe("http://localhost:3000");
    expect(publicBaseUrl(loadConfig({ PUBLIC_URL: "https://api.example.com/" }), 3000)).toBe("https://api.example.com");
  });

  it.each([
    ["PORT", "abc", /PORT="abc": expected a whole number/],
    ["PORT", "70000", /PORT="70000": expected at most 65535/],
    ["HEADROOM_DEMO", "maybe", /HEADROOM_DEMO="maybe"/],
    ["SMTP_URL", "http://mail", /SMTP_URL=.*smtp/],
    ["STRIPE_SECRET_KEY", "pk_test_123", /STRIPE_SECRET_KEY=/],
    ["PUBLIC_URL", "not a url", /PUBLIC_URL=/],
    ["REDIS_URL", "http://cache:6379", /REDIS_URL=.*redis or rediss URL/],
    ["METER_ACCESS_LOG", "sometimes", /METER_ACCESS_LOG="sometimes": expected true\/false/],
    ["METER_SLOW_REQUEST_MS", "0", /METER_SLOW_REQUEST_MS="0": expected at least 1/],
    ["METER_SLOW_REQUEST_MS", "fast", /METER_SLOW_REQUEST_MS="fast": expected a whole number/],
    ["DATABASE_URL", "mysql://app@db.example.com/headroom", /^Invalid configuration: DATABASE_URL="mysql:\/\/app@db\.example\.com\/headroom": expected a postgres or postgresql URL$/],
    ["DATABASE_URL", "./data/headroom.db", /DATABASE_URL=".\/data\/headroom.db": expected an absolute URL/],
    ["BRAND_PRIMARY_COLOR", "indigo", /^Invalid configuration: BRAND_PRIMARY_COLOR="indigo": expected a hex colour such as #4f46e5$/],
    ["BRAND_PRIMARY_COLOR", "#12345", /BRAND_PRIMARY_COLOR="#12345": expected a hex colour/],
    ["BRAND_PRIMARY_COLOR", "#facc15", /BRAND_PRIMARY_COLOR="#facc15": expected a colour dark enough for white text \(contrast 4.5:1 with white; this one has 1.5:1\)/],
    ["BRAND_LOGO_URL", "logo.png", /BRAND_LOGO_URL="logo.png": expected an absolute URL/],
    ["BRAND_LOGO_URL", "ftp://cdn.example/logo.png", /BRAND_LOGO_URL=.*expected a http or https URL/],
    ["BRAND_SUPPORT_EMAIL", "help desk", /BRAND_SUPPORT_EMAIL="help desk": expected an e-mail address/],
    ["BRAND_LEGAL_URL", "javascript:alert(1)", /BRAND_LEGAL_URL=.*expected/],
    ["BRAND_LEGAL_LABEL", "Terms", /BRAND_LEGAL_LABEL="Terms": needs BRAND_LEGAL_URL/],
    ["BRAND_NAME", "x".repeat(61), /BRAND_NAME=.*expected at most 60 characters/],
  ])("rejects %s=%s with one line naming the variable", (name, value, pattern) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).not.toContain("\n");
  });

  it("takes DATABASE_URL as postgres:// or postgresql://, and never repeats its password in an error", () => {
    expect(loadConfig({}).DATABASE_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: "postgres://root@127.0.0.1:5432/test" }).DATABASE_URL).toBe("postgres://root@127.0.0.1:5432/test");
    expect(loadConfig({ DATABASE_URL: "postgresql://app:s3cret@db.internal/headroom?sslmode=require" }).DATABASE_URL).toBe("postgresql://app:s3cret@db.internal/headroom?sslmode=require");
    expect(() => loadConfig({ DATABASE_URL: "mysql://app:s3cret@db.internal/headroom" })).toThrow(/^Invalid configuration: DATABASE_URL="mysql:\/\/app:\*\*\*@db\.internal\/headroom": expected a postgres or postgresql URL$/);
  });

  it("selects Dodo Payments with its key, environment and proration mode, and refuses Stripe and Dodo together in one line", () => {
    const dodo = loadConfig({ DODO_PAYMENTS_API_KEY: "dodo_test_key_123", DODO_PAYMENTS_WEBHOOK_KEY: "whsec_c2VjcmV0", DODO_PAYMENTS_BASE_URL: "http://127.0.0.1:4010" });
    expect(dodo.DODO_PAYMENTS_ENVIRONMENT).toBe("test_mode");
    expect(dodo.DODO_PAYMENTS_PRORATION).toBe("prorated_immediately");
    expect(loadConfig({ DODO_PAYMENTS_API_KEY: "dodo_live_key_123", DODO_PAYMENTS_ENVIRONMENT: "live_mode", DODO_PAYMENTS_PRORATION: "full_immediately" })).toMatchObject({ DODO_PAYMENTS_ENVIRONMENT: "live_mode", DODO_PAYMENTS_PRORATION: "full_immediately" });
    expect(() => loadConfig({ DODO_PAYMENTS_API_KEY: "dodo_test_key_123", DODO_PAYMENTS_ENVIRONMENT: "sandbox" })).toThrow(/^Invalid configuration: DODO_PAYMENTS_ENVIRONMENT="sandbox": expected test_mode or live_mode$/);
    expect(() => loadConfig({ DODO_PAYMENTS_PRORATION: "do_not_bill" })).toThrow(/DODO_PAYMENTS_PRORATION="do_not_bill"/);
    let error: unknown;
    try {
      loadConfig({ STRIPE_SECRET_KEY: "sk_test_123", DODO_PAYMENTS_API_KEY: "dodo_secret_value" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toBe('Invalid configuration: DODO_PAYMENTS_API_KEY="***": set either STRIPE_SECRET_KEY or DODO_PAYMENTS_API_KEY, not both (one billing provider bills)');
    expect(message).not.toContain("dodo_secret_value");
  });

  it("reads booleans in the usual spellings and treats empty as unset", () => {
    expect(loadConfig({ HEADROOM_DEMO: "0" }).HEADROOM_DEMO).toBe(false);
    expect(loadConfig({ HEADROOM_DEMO: "off" }).HEADROOM_DEMO).toBe(false);
    expect(loadConfig({ METER_ACCESS_LOG: "1" }).METER_ACCESS_LOG).toBe(true);
    expect(loadConfig({ PORT: "" }).PORT).toBe(3000);
  });

  it("keeps Headroom's own brand and sender when no BRAND_ variable is set", () => {
    const c = loadConfig({});
    expect(brandOf(c)).toEqual({ name: "Headroom", logoUrl: null, primaryColor: "#4f46e5", supportEmail: null, legal: null });
    expect(mailFrom(c)).toEqual({ name: "Headroom", address: "no-reply@headroom.local" });
  });

  it("reads the provider's brand: name, logo, colour (normalised), support address and legal link", () => {
    const c = loadConfig({
      BRAND_NAME: "  Acme API ",
      BRAND_LOGO_URL: "https://cdn.acme.example/logo.svg",
      BRAND_PRIMARY_COLOR: "#0F766E",
      BRAND_SUPPORT_EMAIL: "help@acme.example",
      BRAND_LEGAL_LABEL: "Terms and privacy",
      BRAND_LEGAL_URL: "https://acme.example/legal",
    });
    expect(brandOf(c)).toEqual({
      name: "Acme API",
      logoUrl: "https://cdn.acme.example/logo.svg",
      primaryColor: "#0f766e",
      supportEmail: "help@acme.example",
      legal: { label: "Terms and privacy", url: "https://acme.example/legal" },
    });
    expect(brandOf(loadConfig({ BRAND_PRIMARY_COLOR: "#036" })).primaryColor).toBe("#003366");
    expect(brandOf(loadConfig({ BRAND_LEGAL_URL: "https://acme.example/legal" })).legal).toEqual({ label: "Legal", url: "https://acme.example/legal" });
  });

  it("sends e-mail under the provider's name unless MAIL_FROM names a sender itself", () => {
    expect(mailFrom(loadConfig({ BRAND_NAME: "Acme API" }))).toEqual({ name: "Acme API", address: "no-reply@headroom.local" });
    expect(mailFrom(loadConfig({ BRAND_NAME: "Acme API", MAIL_FROM: "billing@acme.example" }))).toEqual({ name: "Acme API", address: "billing@acme.example" });
    expect(mailFrom(loadConfig({ BRAND_NAME: "Acme API", MAIL_FROM: "Acme Billing <billing@acme.example>" }))).toBe("Acme Billing <billing@acme.example>");
  });
});
