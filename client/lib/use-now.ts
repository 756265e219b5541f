import { useEffect, useState } from "react";

/** The current time, re-read every `intervalMs` while mounted: countdowns (every second), "3 min ago" and response clocks (every 30 s). */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}
