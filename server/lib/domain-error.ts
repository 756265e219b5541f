/** The closed set of domain error codes; transports map them (tRPC codes, HTTP status) in one place each. */
export const DOMAIN_ERROR_CODES = [
  "BAD_INPUT",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "LIMIT_EXCEEDED",
  "EXPIRED",
  "PRECONDITION_FAILED",
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const HTTP_STATUS_BY_CODE: Record<DomainErrorCode, number> = {
  BAD_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LIMIT_EXCEEDED: 409,
  EXPIRED: 410,
  PRECONDITION_FAILED: 412,
};
