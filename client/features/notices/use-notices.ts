import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { useTRPC } from "../../lib/trpc";

/** Every notice of the signed-in account, newest first. */
export function useNotices() {
  const trpc = useTRPC();
  return useQuery(trpc.notices.list.queryOptions());
}

export type NoticeItem = inferRouterOutputs<AppRouter>["notices"]["list"][number];
