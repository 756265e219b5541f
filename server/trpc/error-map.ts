import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { DomainError, type DomainErrorCode } from "../lib/domain-error";

type TrpcCode = TRPCError["code"];

const CODES: Record<DomainErrorCode, TrpcCode> = {
  BAD_INPUT: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  LIMIT_EXCEEDED: "CONFLICT",
  EXPIRED: "PRECONDITION_FAILED",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
};

export function toTrpcError(error: TRPCError): TRPCError {
  const cause = error.cause;
  if (cause instanceof DomainError) return new TRPCError({ code: CODES[cause.code], message: cause.message, cause });
  if (cause instanceof ZodError) return new TRPCError({ code: "BAD_REQUEST", message: cause.issues[0]?.message ?? "Invalid input.", cause });
  if (error.code === "INTERNAL_SERVER_ERROR") return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on our side. Please try again.", cause: error });
  return error;
}
