import { hash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

const digest = (v: string) => hash("sha256", v, "buffer");

/** The configured token's digest, computed once (the hot routes check the token on every call). */
const configured = new Map<string, Buffer>();
function configuredDigest(token: string): Buffer {
  let d = configured.get(token);
  if (!d) {
    if (configured.size > 16) configured.clear();
    configured.set(token, (d = digest(token)));
  }
  return d;
}

/** Constant-time check of `Authorization: Bearer <server token>`. */
export function hasServerToken(req: IncomingMessage, serverToken: string): boolean {
  const header = req.headers.authorization;
  if (!header || !header.startsWith("Bearer ")) return false;
  return timingSafeEqual(digest(header.slice(7).trim()), configuredDigest(serverToken));
}
