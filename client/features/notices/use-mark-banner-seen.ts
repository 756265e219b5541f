import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useTRPC } from "../../lib/trpc";

/**
 * Tells the server, once per notice, that its banner is on the customer's screen: that moment (not
 * the fetch) is when the notice reached them and its enforcement grace period may start. Waits until
 * the tab is visible, so a banner fetched in a background tab does not count as seen.
 */
export function useMarkBannerSeen(noticeId: string | null) {
  const trpc = useTRPC();
  const { mutate } = useMutation(trpc.notices.seen.mutationOptions());
  const sent = useRef<string | null>(null);
  useEffect(() => {
    if (!noticeId || sent.current === noticeId) return;
    const send = () => {
      if (document.visibilityState !== "visible" || sent.current === noticeId) return;
      sent.current = noticeId;
      mutate({ noticeId });
    };
    send();
    document.addEventListener("visibilitychange", send);
    return () => document.removeEventListener("visibilitychange", send);
  }, [noticeId, mutate]);
}
