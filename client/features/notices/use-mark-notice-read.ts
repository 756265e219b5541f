import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, type RefObject } from "react";
import { useTRPC } from "../../lib/trpc";

/**
 * A notice not yet delivered (no e-mail sent, no banner seen) reaches the customer when they read it
 * on the Notices page: once at least half of it is on screen in a visible tab, the server is told, as
 * for a banner (`notices.seen`), and the list is read again so it says when it reached them.
 */
export function useMarkNoticeRead(ref: RefObject<HTMLElement | null>, noticeId: string, delivered: boolean) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { mutate } = useMutation(
    trpc.notices.seen.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.notices.list.queryKey() }) }),
  );
  const sent = useRef(false);
  useEffect(() => {
    const el = ref.current;
    if (delivered || sent.current || !el || typeof IntersectionObserver === "undefined") return;
    let onScreen = false;
    const send = () => {
      if (!onScreen || document.visibilityState !== "visible" || sent.current) return;
      sent.current = true;
      mutate({ noticeId });
    };
    const observer = new IntersectionObserver(
      (entries) => {
        onScreen = entries.some((e) => e.isIntersecting);
        send();
      },
      { threshold: 0.5 },
    );
    observer.observe(el);
    document.addEventListener("visibilitychange", send);
    return () => {
      observer.disconnect();
      document.removeEventListener("visibilitychange", send);
    };
  }, [ref, noticeId, delivered, mutate]);
}
