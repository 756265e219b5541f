/** What went wrong with a preview or a confirmation, in plain words, and whether previewing again is the way forward. */
export interface BillingProblem {
  message: string;
  /** preview_again: this quote is done for, a new one is the way forward; retry: the same request may simply be sent again. */
  action: "preview_again" | "retry" | null;
}

export function describeBillingError(error: unknown, stage: "preview" | "confirm"): BillingProblem {
  const again = stage === "confirm" ? " Trying again is safe: the same preview is never charged twice." : "";
  const e = error as { message?: string; data?: { code?: string } | null };
  const code = e?.data?.code;
  const message = e?.message?.trim();
  switch (code) {
    case "PRECONDITION_FAILED":
    case "CONFLICT":
      // The server's words say what changed (expired, prices changed, amounts differ, payment declined) and that nothing was charged.
      return { message: message || "This price preview can no longer be confirmed. Nothing was charged.", action: "preview_again" };
    case "NOT_FOUND":
      return { message: "This price preview is no longer available. Nothing was charged.", action: "preview_again" };
    case "BAD_REQUEST":
      return { message: message || "This change is not possible.", action: null };
    case "UNAUTHORIZED":
      return { message: `Your session has ended. Sign in again from your provider's dashboard.${stage === "confirm" ? " Nothing was charged." : ""}`, action: null };
    case "INTERNAL_SERVER_ERROR":
      return { message: `Something went wrong on our side. Please try again.${again}`, action: "retry" };
    default:
      // No answer at all (offline, timeout): the request may or may not have arrived; retrying the same quote is safe.
      return { message: `We could not reach the server. Check your connection and try again.${again}`, action: "retry" };
  }
}
