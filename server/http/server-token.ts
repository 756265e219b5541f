import { timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";

const digest = (v: string) => createHash("sha256").update(v).digest();

/** Constant-time check of `Authorization: Bearer <server token>`. */
export function hasServerToken(req: IncomingMessage, serverToken: string): boolean {
  const header = req.headers.authorization;
  if (!header || !header.startsWith("Bearer ")) return false;
  return timingSafeEqual(digest(header.slice(7).trim()), digest(serverToken));
}
