import { StrictMode, startTransition } from "react";
import { createRoot } from "react-dom/client";
import { Providers } from "./app/providers";
import { AppRouter } from "./app/router";
import "./index.css";

// The first render is a transition: React draws the app in slices it can interrupt rather than in
// one long task after the scripts have run (what Lighthouse's Total Blocking Time counts on a phone).
const root = createRoot(document.getElementById("root")!);
startTransition(() => {
  root.render(
    <StrictMode>
      <Providers>
        <AppRouter />
      </Providers>
    </StrictMode>,
  );
});
