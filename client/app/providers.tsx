import { QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { queryClient, TRPCProvider, trpcClient } from "../lib/trpc";
import { BrandColor } from "./brand";

export function Providers({ children }: { children: ReactNode }) {
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <BrandColor />
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
