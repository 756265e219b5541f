import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cli, rest, sourceDir, type ServerProcess } from "./server";

export type Role = "public" | "customer" | "operator" | "unknown";

/** The part of a zod schema the fuzzer uses: safeParse, and the def to find an object's fields. */
export interface SchemaLike {
  safeParse(v: unknown): { success: boolean };
  _zod?: { def: { type: string; shape?: Record<string, SchemaLike>; innerType?: SchemaLike; in?: SchemaLike } };
}

export interface Procedure {
  path: string;
  type: "query" | "mutation";
  /** From the source: which procedure builder it is made with (publicProcedure, customerProcedure, operatorProcedure). */
  role: Role;
  /** The input parser tRPC validates with (null: the procedure takes no input, whatever is sent is ignored). */
  input: SchemaLike | null;
}

/**
 * Every procedure of the app router, found at run time (the routers are being extended while this
 * suite is written, so no list is kept by hand): the type and input parser from the router object,
 * the role from the source of server/trpc/routers/*.ts.
 */
export async function discoverProcedures(): Promise<Procedure[]> {
  const { appRouter } = (await importSource("server/trpc/router.ts")) as {
    appRouter: { _def: { procedures: Record<string, { _def: { type: "query" | "mutation"; inputs: SchemaLike[] } }> } };
  };
  const roles = rolesFromSource();
  return Object.entries(appRouter._def.procedures).map(([path, p]) => ({
    path,
    type: p._def.type,
    role: roles.get(path) ?? "unknown",
    input: p._def.inputs[0] ?? null,
  }));
}

/** Imports a module of the snapshot the servers run from (not the working tree, which others edit). */
export async function importSource(path: string): Promise<unknown> {
  return import(/* @vite-ignore */ join(sourceDir(), path));
}

function rolesFromSource(): Map<string, Role> {
  const dir = join(sourceDir(), "server/trpc/routers");
  const routerSrc = readFileSync(join(sourceDir(), "server/trpc/router.ts"), "utf8");
  // import { billingRouter } from "./routers/billing";  →  billingRouter: billing.ts
  const fileOf = new Map<string, string>();
  for (const m of routerSrc.matchAll(/import\s*\{\s*(\w+)\s*\}\s*from\s*"\.\/routers\/([\w-]+)"/g)) fileOf.set(m[1]!, m[2]!);
  const roles = new Map<string, Role>();
  const files = new Set(readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).map((f) => f.slice(0, -3)));
  // billing: billingRouter,
  for (const m of routerSrc.matchAll(/^\s+(\w+):\s*(\w+),?\s*$/gm)) {
    const file = fileOf.get(m[2]!);
    if (!file || !files.has(file)) continue;
    const src = readFileSync(join(dir, `${file}.ts`), "utf8");
    for (const p of src.matchAll(/^\s{2}(\w+):\s*(public|customer|operator)Procedure\b/gm)) roles.set(`${m[1]}.${p[1]}`, p[2] as Role);
  }
  return roles;
}

/** The fields of an object schema (through optional/default/pipe wrappers), or null. */
export function objectShape(s: SchemaLike | null | undefined): Record<string, SchemaLike> | null {
  for (let i = 0; s && i < 10; i++) {
    const def = s._zod?.def;
    if (!def) return null;
    if (def.type === "object") return def.shape ?? null;
    s = def.innerType ?? def.in;
  }
  return null;
}

// ---- sessions ----------------------------------------------------------------------------------

/** The `name=value` of the session cookie in a Set-Cookie header, or "". */
export function sessionCookieOf(res: Response): string {
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

/** Signs a customer in the way the provider's backend does: POST /v1/portal-sessions, then the one-time link. */
export async function customerSession(srv: ServerProcess, accountId: string): Promise<string> {
  const link = await rest<{ url: string }>(srv, "POST", "/v1/portal-sessions", { accountId });
  if (link.status !== 201) throw new Error(`portal-sessions answered ${link.status}: ${link.text}`);
  const landed = await fetch(`${srv.url}${new URL(link.json.url).pathname}${new URL(link.json.url).search}`, { redirect: "manual" });
  const cookie = sessionCookieOf(landed);
  if (landed.status !== 303 || !cookie.includes("=") || cookie.endsWith("=")) throw new Error(`the portal link answered ${landed.status} without a session`);
  return cookie;
}

/** An operator session from `headroom operator-link --json` run against the same database. */
export async function operatorSession(srv: ServerProcess): Promise<string> {
  const { url } = await cli<{ url: string }>(srv.dir, ["operator-link"]);
  const token = new URL(url).searchParams.get("token")!;
  const landed = await fetch(`${srv.url}/auth/link?token=${encodeURIComponent(token)}`, { redirect: "manual" });
  const cookie = sessionCookieOf(landed);
  if (landed.status !== 303 || landed.headers.get("location") !== "/console" || cookie.endsWith("=")) throw new Error(`the operator link answered ${landed.status} → ${landed.headers.get("location")}`);
  return cookie;
}

// ---- calls -------------------------------------------------------------------------------------

export interface TrpcReply {
  status: number;
  text: string;
  json: { result?: { data: unknown }; error?: { message: string; data?: { code: string; httpStatus: number } } } | undefined;
}

/**
 * One tRPC v11 call over HTTP, unbatched, as the SPA makes it: a query is a GET with ?input=<json>,
 * a mutation a same-origin JSON POST whose body is the input. `raw` sends the given text as is.
 */
export async function callTrpc(
  srv: ServerProcess,
  cookie: string | null,
  p: Pick<Procedure, "path" | "type">,
  input: { value: unknown } | { raw: string } | null,
  extraHeaders: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<TrpcReply> {
  const text = input === null ? undefined : "raw" in input ? input.raw : JSON.stringify(input.value);
  const headers: Record<string, string> = { ...(cookie ? { cookie } : {}), ...extraHeaders };
  let res: Response;
  if (p.type === "query") {
    const qs = text === undefined ? "" : `?input=${encodeURIComponent(text)}`;
    res = await fetch(`${srv.url}/trpc/${p.path}${qs}`, { headers, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } else {
    res = await fetch(`${srv.url}/trpc/${p.path}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: srv.publicUrl, ...headers },
      body: text,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  }
  const body = await res.text();
  let json: TrpcReply["json"];
  try {
    json = JSON.parse(body) as TrpcReply["json"];
  } catch {
    json = undefined;
  }
  return { status: res.status, text: body, json };
}
