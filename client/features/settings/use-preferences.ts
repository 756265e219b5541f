import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { useTRPC } from "../../lib/trpc";

/** Whether each kind of notice is e-mailed to the account (some are always e-mailed: `locked`). */
export function usePreferences() {
  const trpc = useTRPC();
  return useQuery(trpc.notices.preferences.queryOptions());
}

export type Preference = inferRouterOutputs<AppRouter>["notices"]["preferences"][number];
