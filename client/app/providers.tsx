import { QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { makeQueryClient, makeTrpcClient, TRPCProvider } from "../lib/trpc";
import { BrandColor } from "./brand";

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <BrandColor />
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
