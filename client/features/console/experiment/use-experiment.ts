import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";

/** The experiment (the active one without an id) with its scorecard and trail; null when there is none. */
export function useExperiment(id?: string) {
  const trpc = useTRPC();
  return useQuery(trpc.operator.experiment.queryOptions(id ? { id } : {}));
}

/** Every experiment, newest first. */
export function useExperiments() {
  const trpc = useTRPC();
  return useQuery(trpc.operator.experiments.queryOptions());
}
