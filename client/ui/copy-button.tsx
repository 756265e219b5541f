import { useEffect, useState } from "react";
import { Button } from "./button";

/** Writes text to the clipboard and says so (to screen readers too); falls back to selecting it for Ctrl-C. */
export function CopyButton({ text, label = "Copy", fallbackSelect, autoFocus }: { text: string; label?: string; fallbackSelect?: () => void; autoFocus?: boolean }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const t = setTimeout(() => setState("idle"), 2_500);
    return () => clearTimeout(t);
  }, [state]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      // Clipboard access needs a secure context and permission; selecting the text still lets the user copy it.
      fallbackSelect?.();
      setState("failed");
    }
  }

  return (
    <>
      <Button variant="secondary" onClick={copy} className="shrink-0" autoFocus={autoFocus}>
        <svg viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
          {state === "copied" ? <path d="m5 12 5 5L20 7" /> : <path d="M9 9h10v10H9zM5 15V5h10" />}
        </svg>
        {state === "copied" ? "Copied" : label}
      </Button>
      <span role="status" aria-live="polite" className="sr-only">
        {state === "copied" ? "Copied to the clipboard." : state === "failed" ? "Could not copy automatically; the text is selected, press Ctrl+C or Cmd+C." : ""}
      </span>
    </>
  );
}
