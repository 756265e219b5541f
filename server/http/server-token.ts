import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The configured token's bytes, encoded once (the hot routes check the token on every call). */
const configured = new Map<string, Buffer>();
function configuredBytes(token: string): Buffer {
  let b = configured.get(token);
  if (!b) {
    if (configured.size > 16) configured.clear();
    configured.set(token, (b = Buffer.from(token, "utf8")));
  }
  return b;
}

/**
 * Constant-time check of `Authorization: Bearer <server token>`. The lengths are compared in the
 * open (a token's length is no secret: generated tokens all have the same one); the bytes are
 * compared in constant time.
 */
export function hasServerToken(req: IncomingMessage, serverToken: string): boolean {
  const header = req.headers.authorization;
  if (!header || !header.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice(7).trim(), "utf8");
  const expected = configuredBytes(serverToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
