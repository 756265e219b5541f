import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { Deps } from "../deps";
import type { Session } from "../auth/sign-in";
import { toTrpcError } from "./error-map";

export interface Context {
  deps: Deps;
  session: Session | null;
  /** The raw session id from the cookie, for sign-out. */
  sessionId: string | null;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  clearSessionCookie: () => void;
  /** Starts a browser session (operator sign-in with the admin token). */
  startSession: (sessionId: string, ttlMs: number) => void;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    return {
      ...shape,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        // Field errors help a form show what to fix; nothing else of the server leaks.
        fieldErrors: zod ? zod.issues.map((i) => ({ path: i.path.join("."), message: i.message })) : undefined,
      },
    };
  },
});

export const router = t.router;

/** Domain errors become TRPCErrors in one place; unknown errors are logged and hidden. */
const mapErrors = t.middleware(async ({ ctx, next, path }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTrpcError(result.error);
    if (mapped.code === "INTERNAL_SERVER_ERROR") ctx.deps.logger.error({ err: result.error.cause ?? result.error, path, requestId: ctx.requestId }, "procedure failed");
    return { ...result, error: mapped };
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapErrors);

/** The account comes from the session, never from input. */
export const customerProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  if (ctx.session.role !== "customer" || !ctx.session.accountId) throw new TRPCError({ code: "FORBIDDEN", message: "This page is for customers." });
  return next({ ctx: { ...ctx, session: ctx.session, accountId: ctx.session.accountId } });
});

export const operatorProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  if (ctx.session.role !== "operator") throw new TRPCError({ code: "FORBIDDEN", message: "Operators only." });
  return next({ ctx: { ...ctx, session: ctx.session } });
});
