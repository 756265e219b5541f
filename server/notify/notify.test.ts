import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createAccount } from "../accounts/accounts";
import { createKey } from "../keys/keys";
import { ManualClock } from "../lib/clock";
import { PortalClient } from "../testing/portal-client";
import { startSmtpSink } from "../testing/smtp-sink";
import { startTestServer, TEST_SERVER_TOKEN, type TestServer } from "../testing/test-server";
import { verifyWebhook } from "./webhook";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-11-25T14:00:10Z");
const auth = { authorization: `Bearer ${TEST_SERVER_TOKEN}`, "content-type": "application/json" };

let srv: TestServer | null = null;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await srv?.stop();
  srv = null;
  while (cleanups.length) await cleanups.pop()!();
});

async function boot(clock: ManualClock, env: Record<string, string> = {}) {
  srv = await startTestServer({ clock, env: { METER_FLUSH_MS: "60000", ...env } });
  return srv;
}

async function customer(s: TestServer, clock: ManualClock, planId = "starter", mode?: "shadow" | "enforce") {
  const acc = await createAccount(s.deps.db, s.deps.catalog, clock, { name: "Acme Analytics", email: "ops@acme.example", planId });
  if (mode) s.sqlite.prepare("update accounts set enforcement_override = ? where id = ?").run(mode, acc.id);
  return { accountId: acc.id, key: (await createKey(s.deps.db, clock, { accountId: acc.id, name: "k" })).key };
}

/** Yesterday went over Starter's per-minute cap too: two days over are a pattern, not an outlier, so a switch is offered. */
function overYesterday(s: TestServer, accountId: string) {
  const yesterday = Date.parse("2026-11-24T00:00:00Z");
  s.sqlite.prepare("insert into usage_day (day_ms, account_id, allowed, would_throttle, throttled, ceiling, peak_minute) values (?, ?, 150, 50, 0, 0, 200)").run(yesterday, accountId);
}

async function check(s: TestServer, key: string, cost = 1) {
  const res = await fetch(`${s.url}/v1/check`, { method: "POST", headers: auth, body: JSON.stringify({ key, cost }) });
  return (await res.json()) as { allowed: boolean; decision: string };
}

/** Flush the meter (detection runs after it) and let the delivery worker send what is due. */
async function settle(s: TestServer) {
  s.deps.meter.flush();
  await s.deps.detector.settled();
  await s.deps.delivery.tick();
}

describe("notices by e-mail over real SMTP", () => {
  it("sends one message with the numbers in both parts, the wizard link and List-Unsubscribe", async () => {
    const smtp = await startSmtpSink();
    cleanups.push(smtp.close);
    const clock = new ManualClock(T0);
    const s = await boot(clock, { SMTP_URL: smtp.url });
    const { key, accountId } = await customer(s, clock);
    overYesterday(s, accountId);
    await check(s, key, 61);
    await settle(s);
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.to).toEqual(["ops@acme.example"]);
    expect(mail.decoded).toMatch(/^Subject: You reached your Starter per-minute cap/m);
    expect(mail.decoded).toContain("Content-Type: text/plain");
    expect(mail.decoded).toContain("Content-Type: text/html");
    // The numbers appear in the text and in the HTML part.
    expect(mail.decoded.match(/You made 61 calls in the last minute; the Starter plan allows 60 per minute\./g)?.length).toBe(2);
    expect(mail.decoded).toContain("Nothing changes yet");
    expect(mail.decoded).toMatch(/List-Unsubscribe:\s*<http:\/\/[^>]+\/unsubscribe\?token=/);
    // The switch offered is the Plans page's recommendation, with its estimated monthly cost.
    expect(mail.decoded).toMatch(/\/plans\/change\?to=pro/);
    expect(mail.decoded).toContain("Pro fits your traffic of the last 30 days: $49.00 a month.");
    expect(mail.decoded).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(mail.decoded).toContain("Reduce your traffic");

    // The same cap in the same period: no second e-mail.
    clock.advance(120_000);
    await check(s, key, 70);
    await settle(s);
    expect(smtp.received).toHaveLength(1);
    const delivered = s.sqlite.prepare("select kind, delivered_at_ms from notices where account_id = ?").all(accountId);
    expect(delivered).toEqual([{ kind: "reached", delivered_at_ms: T0 }]);
  });

  it("retries while SMTP is down, loses nothing, and sends exactly one message in the end", async () => {
    const probe = await startSmtpSink();
    const port = probe.port;
    await probe.close();
    const clock = new ManualClock(T0);
    const s = await boot(clock, { SMTP_URL: `smtp://127.0.0.1:${port}` });
    const { key } = await customer(s, clock);
    await check(s, key, 61);
    await settle(s);
    const row = s.sqlite.prepare("select status, attempts, last_error from outbox").get() as { status: string; attempts: number; last_error: string };
    expect(row.status).toBe("pending");
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/ECONNREFUSED|connect/i);

    const smtp = await startSmtpSink(port);
    cleanups.push(smtp.close);
    await s.deps.delivery.tick(); // not due yet: backoff
    expect(smtp.received).toHaveLength(0);
    clock.advance(31_000);
    await s.deps.delivery.tick();
    await s.deps.delivery.tick();
    expect(smtp.received).toHaveLength(1);
    expect(s.sqlite.prepare("select status, attempts from outbox").get()).toEqual({ status: "sent", attempts: 2 });
  });

  it("respects the customer's preference but always e-mails enforcement notices", async () => {
    const smtp = await startSmtpSink();
    cleanups.push(smtp.close);
    const clock = new ManualClock(T0);
    const s = await boot(clock, { SMTP_URL: smtp.url });
    const { key, accountId } = await customer(s, clock);
    s.sqlite.prepare("insert into notification_preferences (account_id, kind, email) values (?, 'reached', 0)").run(accountId);
    await check(s, key, 61);
    await settle(s);
    expect(smtp.received).toHaveLength(0);
    expect(s.sqlite.prepare("select count(*) from notices where account_id = ?").pluck().get(accountId)).toBe(1);
    // An operator flips the account to enforce: the enforcement notice is e-mailed whatever the preference.
    s.sqlite.prepare("update accounts set enforcement_override = 'enforce' where id = ?").run(accountId);
    s.deps.meter.invalidateAccount(accountId);
    await s.deps.detector.scheduleEnforcement([accountId]);
    await s.deps.delivery.tick();
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.decoded).toMatch(/Subject: Your Starter caps will be enforced from 28 Nov 2026/);
  });
});

describe("provider webhook", () => {
  it("posts the notice signed with HMAC-SHA256 over timestamp and body, with a stable idempotency key", async () => {
    const got: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    let fail = true;
    const receiver: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        got.push({ headers: req.headers, body });
        res.statusCode = fail ? 503 : 204;
        fail = false;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => receiver.close(() => r())));
    const secret = "whsec-test-0123456789abcdef";
    const clock = new ManualClock(T0);
    const s = await boot(clock, { NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`, NOTIFY_WEBHOOK_SECRET: secret });
    const { key, accountId } = await customer(s, clock);
    await check(s, key, 61);
    await settle(s);
    clock.advance(31_000);
    await s.deps.delivery.tick();
    expect(got).toHaveLength(2);
    const [first, second] = got;
    expect(second!.headers["idempotency-key"]).toBe(first!.headers["idempotency-key"]);
    expect(verifyWebhook(secret, second!.body, String(second!.headers["headroom-signature"]), Math.floor(clock.now() / 1000))).toBe(true);
    expect(verifyWebhook(secret, second!.body + " ", String(second!.headers["headroom-signature"]), Math.floor(clock.now() / 1000))).toBe(false);
    expect(verifyWebhook("another-secret-0123456789", second!.body, String(second!.headers["headroom-signature"]), Math.floor(clock.now() / 1000))).toBe(false);
    const payload = JSON.parse(second!.body) as { type: string; notice: { accountId: string; kind: string; message: { happened: string } } };
    expect(payload).toMatchObject({ type: "notice.created", notice: { accountId, kind: "reached" } });
    expect(payload.notice.message.happened).toContain("61 calls");
  });
});

describe("banners", () => {
  it("serves the same banner to the provider's app, counts it as delivered, and the embed token works", async () => {
    const clock = new ManualClock(T0);
    const s = await boot(clock);
    const { key, accountId } = await customer(s, clock);
    overYesterday(s, accountId);
    await check(s, key, 61);
    s.deps.meter.flush();
    await s.deps.detector.settled();
    const res = await fetch(`${s.url}/v1/accounts/${accountId}/banner`, { headers: auth });
    const { banner } = (await res.json()) as { banner: { title: string; happened: string; severity: string; choices: Array<{ kind: string; url: string | null }> } };
    expect(banner).toMatchObject({ title: "You reached your Starter per-minute cap", severity: "warning" });
    expect(banner.choices.map((c) => c.kind)).toEqual(["upgrade", "reduce", "contact"]);
    expect(new URL(banner.choices[0]!.url!).pathname + new URL(banner.choices[0]!.url!).search).toMatch(/^\/plans\/change\?to=\w+$/);
    expect(s.sqlite.prepare("select delivered_at_ms from notices where account_id = ?").pluck().get(accountId)).toBe(T0);

    const tokenRes = await fetch(`${s.url}/v1/accounts/${accountId}/banner-tokens`, { method: "POST", headers: auth });
    const { token } = (await tokenRes.json()) as { token: string };
    const embed = await fetch(`${s.url}/embed/banner?token=${encodeURIComponent(token)}`);
    expect(embed.headers.get("access-control-allow-origin")).toBe("*");
    expect(((await embed.json()) as { banner: { title: string } }).banner.title).toBe(banner.title);
    expect((await fetch(`${s.url}/embed/banner?token=${encodeURIComponent(token.slice(0, -2) + "xx")}`)).status).toBe(401);
    clock.advance(16 * 60_000);
    expect((await fetch(`${s.url}/embed/banner?token=${encodeURIComponent(token)}`)).status).toBe(401);
    const script = await fetch(`${s.url}/embed/banner.js`);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect(await script.text()).toContain('customElements.define("headroom-banner"');
  });
});

describe("seen means seen", () => {
  it("a GET of the portal's banner or the embed's changes nothing; the banner counts as seen when it is shown", async () => {
    const clock = new ManualClock(T0);
    const s = await boot(clock);
    const { key, accountId } = await customer(s, clock, "starter", "enforce");
    await check(s, key, 61);
    s.deps.meter.flush();
    await s.deps.detector.settled();
    const delivered = () => s.sqlite.prepare("select delivered_at_ms from notices where account_id = ? and kind = 'reached'").pluck().get(accountId) as number | null;
    const client = await PortalClient.signIn(s, accountId);

    // A top-level cross-site navigation can make the browser GET this with the customer's cookie: it must not start the grace clock.
    clock.advance(60_000);
    const banner = await client.query<{ noticeId: string }>("notices.banner");
    expect(banner.data?.noticeId).toBeTruthy();
    await fetch(`${s.url}/trpc/notices.banner`, { headers: { cookie: client.cookie, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" } });
    const tokenRes = await fetch(`${s.url}/v1/accounts/${accountId}/banner-tokens`, { method: "POST", headers: auth });
    const { token } = (await tokenRes.json()) as { token: string };
    expect((await fetch(`${s.url}/embed/banner?token=${encodeURIComponent(token)}`)).status).toBe(200);
    expect(delivered()).toBeNull();
    // Nothing was seen, so the cap does not refuse yet however long it has been.
    clock.advance(100 * HOUR);
    expect((await check(s, key, 61)).decision).toBe("would_throttle");

    // The portal renders it and says so: delivered from now; the grace period starts now.
    const seenAt = clock.now();
    const later = await PortalClient.signIn(s, accountId);
    expect((await later.mutate("notices.seen", { noticeId: banner.data!.noticeId })).status).toBe(200);
    expect(delivered()).toBe(seenAt);
    // Seen again later (another tab, the embed): the first moment stands.
    clock.advance(60_000);
    const fresh = ((await (await fetch(`${s.url}/v1/accounts/${accountId}/banner-tokens`, { method: "POST", headers: auth })).json()) as { token: string }).token;
    expect((await fetch(`${s.url}/embed/banner/seen?token=${encodeURIComponent(fresh)}&notice=${banner.data!.noticeId}`, { method: "POST" })).status).toBe(204);
    expect(delivered()).toBe(seenAt);
    // Another account's notice id is not this account's to mark.
    const otherAcc = await createAccount(s.deps.db, s.deps.catalog, clock, { name: "Other", email: "ops@other.example", planId: "starter" });
    const other = { accountId: otherAcc.id };
    const otherClient = await PortalClient.signIn(s, other.accountId);
    expect((await otherClient.mutate("notices.seen", { noticeId: banner.data!.noticeId })).status).toBe(404);
    expect(delivered()).toBe(seenAt);
    // The seen mutation is a mutation: a cross-site form post is refused like every other.
    const forged = await fetch(`${s.url}/trpc/notices.seen`, { method: "POST", headers: { cookie: later.cookie, "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" }, body: "noticeId=x" });
    expect(forged.status).toBeGreaterThanOrEqual(400);
  });

  it("the embed tells the server once it has shown a banner", async () => {
    const clock = new ManualClock(T0);
    const s = await boot(clock);
    const { key, accountId } = await customer(s, clock);
    await check(s, key, 61);
    s.deps.meter.flush();
    await s.deps.detector.settled();
    const tokenRes = await fetch(`${s.url}/v1/accounts/${accountId}/banner-tokens`, { method: "POST", headers: auth });
    const { token } = (await tokenRes.json()) as { token: string };
    const { banner } = (await (await fetch(`${s.url}/embed/banner?token=${encodeURIComponent(token)}`)).json()) as { banner: { noticeId: string } };
    const seen = await fetch(`${s.url}/embed/banner/seen?token=${encodeURIComponent(token)}&notice=${banner.noticeId}`, { method: "POST" });
    expect(seen.status).toBe(204);
    expect(seen.headers.get("access-control-allow-origin")).toBe("*");
    expect(s.sqlite.prepare("select delivered_at_ms from notices where id = ?").pluck().get(banner.noticeId)).toBe(T0);
    expect((await fetch(`${s.url}/embed/banner/seen?token=bad&notice=${banner.noticeId}`, { method: "POST" })).status).toBe(401);
    const script = await (await fetch(`${s.url}/embed/banner.js`)).text();
    expect(script).toContain("/embed/banner/seen?token=");
  });
});

describe("no silent throttle", () => {
  it("refuses no call for a cap before the notice's delivery plus the grace period, and refuses after it", async () => {
    const smtp = await startSmtpSink();
    cleanups.push(smtp.close);
    const clock = new ManualClock(T0);
    const s = await boot(clock, { SMTP_URL: smtp.url });
    const { key, accountId } = await customer(s, clock, "starter", "enforce");
    const refusedAt: number[] = [];
    let deliveredAt: number | null = null;
    // Drive the account over its per-minute cap every 10 minutes for four days.
    for (let step = 0; step < 4 * 24 * 6; step++) {
      const r = await check(s, key, 61);
      if (r.decision === "throttle") refusedAt.push(clock.now());
      await settle(s);
      deliveredAt ??= (s.sqlite.prepare("select delivered_at_ms from notices where account_id = ? and window = 'minute' and kind = 'reached'").pluck().get(accountId) as number | null) ?? null;
      clock.advance(10 * 60_000);
    }
    expect(deliveredAt).toBe(T0);
    expect(refusedAt.length).toBeGreaterThan(0);
    expect(Math.min(...refusedAt)).toBeGreaterThanOrEqual(deliveredAt! + 72 * HOUR);
    expect(Math.min(...refusedAt)).toBeLessThan(deliveredAt! + 72 * HOUR + 10 * 60_000 + 1);
  });
});

describe("the provider's brand", () => {
  const BRAND = {
    BRAND_NAME: "Acme API",
    BRAND_PRIMARY_COLOR: "#0f766e",
    BRAND_SUPPORT_EMAIL: "help@acme.example",
    BRAND_LEGAL_LABEL: "Terms and privacy",
    BRAND_LEGAL_URL: "https://acme.example/legal",
  };

  it("notices go out under the provider's name, in its colour, with its support address and legal link", async () => {
    const smtp = await startSmtpSink();
    cleanups.push(smtp.close);
    const clock = new ManualClock(T0);
    const s = await boot(clock, { SMTP_URL: smtp.url, MAIL_FROM: "billing@acme.example", ...BRAND });
    const { key, accountId } = await customer(s, clock);
    overYesterday(s, accountId);
    await check(s, key, 61);
    await settle(s);
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.from).toBe("billing@acme.example");
    expect(mail.decoded).toMatch(/^From: Acme API <billing@acme\.example>/m);
    // Both parts carry the provider's name, support address and legal link; the HTML its colour.
    expect(mail.decoded.match(/Questions\? Contact (<a [^>]+>)?help@acme\.example/g)?.length).toBe(2);
    expect(mail.decoded).toContain("Terms and privacy: https://acme.example/legal");
    expect(mail.decoded).toContain('<a href="https://acme.example/legal" style="color:#64748b">Terms and privacy</a>');
    expect(mail.decoded).toContain("your API plan with Acme API");
    expect(mail.decoded).toMatch(/<a href="[^"]+\/plans\/change\?to=pro" style="color:#0f766e">/);
    expect(mail.decoded).not.toContain("Headroom");
  });

  it("sign-in e-mails, the embeddable banner and the unsubscribe page speak in the provider's name", async () => {
    const smtp = await startSmtpSink();
    cleanups.push(smtp.close);
    const clock = new ManualClock(T0);
    const s = await boot(clock, { SMTP_URL: smtp.url, ...BRAND });
    const { key, accountId } = await customer(s, clock);
    await check(s, key, 61);
    await settle(s);
    smtp.received.length = 0;

    const client = await PortalClient.signIn(s, accountId);
    await client.mutate("session.requestEmailLink", { email: "ops@acme.example" });
    await s.deps.delivery.tick();
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.decoded).toMatch(/^From: Acme API <no-reply@headroom\.local>/m);
    expect(mail.decoded).toContain("sign in to your Acme API portal");
    expect(mail.decoded).toContain("Questions? Contact help@acme.example");

    const brand = await client.query<{ name: string; primaryColor: string }>("session.brand");
    expect(brand.data).toMatchObject({ name: "Acme API", primaryColor: "#0f766e" });

    const tokenRes = await fetch(`${s.url}/v1/accounts/${accountId}/banner-tokens`, { method: "POST", headers: auth });
    const { token } = (await tokenRes.json()) as { token: string };
    const embed = (await (await fetch(`${s.url}/embed/banner?token=${encodeURIComponent(token)}`)).json()) as { banner: { provider: string; title: string } };
    expect(embed.banner).toMatchObject({ provider: "Acme API", title: "You reached your Starter per-minute cap" });
    expect(await (await fetch(`${s.url}/embed/banner.js`)).text()).toContain("esc(banner.provider)");

    const page = await (await fetch(`${s.url}/unsubscribe?token=not-a-token`)).text();
    expect(page).toContain("<title>Link not valid · Acme API</title>");
    expect(page).toContain("Questions? Contact");
    expect(page).not.toContain("Headroom");
  });
});
