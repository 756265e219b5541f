import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../lib/trpc";
import { paths } from "./paths";

export function useSignOut() {
  const trpc = useTRPC();
  return useMutation(
    trpc.session.signOut.mutationOptions({
      // A full page load drops every cached query of the signed-out account.
      onSuccess: () => window.location.assign(`${paths.signIn}?signedOut=1`),
    }),
  );
}
