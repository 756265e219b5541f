import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc";
import { useInvalidateOperator } from "../use-invalidate-operator";

export function useCreateExperiment() {
  const trpc = useTRPC();
  const invalidate = useInvalidateOperator();
  return useMutation(trpc.operator.createExperiment.mutationOptions({ onSuccess: () => invalidate() }));
}

/** Until the experiment starts. */
export function useEditExperiment() {
  const trpc = useTRPC();
  const invalidate = useInvalidateOperator();
  return useMutation(trpc.operator.editExperiment.mutationOptions({ onSuccess: () => invalidate() }));
}

export function useEndExperiment() {
  const trpc = useTRPC();
  const invalidate = useInvalidateOperator();
  return useMutation(trpc.operator.endExperiment.mutationOptions({ onSuccess: () => invalidate() }));
}

export function useAddExperimentNote() {
  const trpc = useTRPC();
  const invalidate = useInvalidateOperator();
  return useMutation(trpc.operator.addExperimentNote.mutationOptions({ onSuccess: () => invalidate() }));
}
