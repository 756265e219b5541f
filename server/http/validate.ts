import type { z } from "zod";
import { DomainError } from "../lib/domain-error";

/** Parses a request part; the first issue becomes a 400 that names the field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where = "body"): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join(".") : where;
  throw new DomainError("BAD_INPUT", `${field}: ${issue.message}`, {
    invalidParams: result.error.issues.map((i) => ({ name: i.path.join(".") || where, reason: i.message })),
  });
}
