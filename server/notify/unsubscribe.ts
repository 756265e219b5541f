import { createHmac, timingSafeEqual } from "node:crypto";

/** A link token that turns one kind of notice e-mail off for one account, without signing in (RFC 8058). */
export function unsubscribeToken(secret: string, accountId: string, kind: string): string {
  const body = Buffer.from(JSON.stringify([accountId, kind])).toString("base64url");
  const mac = createHmac("sha256", secret).update(`unsubscribe.${body}`).digest("base64url");
  return `${body}.${mac}`;
}

export function readUnsubscribeToken(secret: string, token: string): { accountId: string; kind: string } | null {
  const [body, mac] = token.split(".");
  if (!body || !mac) return null;
  const expected = createHmac("sha256", secret).update(`unsubscribe.${body}`).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const [accountId, kind] = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as [string, string];
    return typeof accountId === "string" && typeof kind === "string" ? { accountId, kind } : null;
  } catch {
    return null;
  }
}
