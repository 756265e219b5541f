import { useEffect, useRef, useState } from "react";
import { Banner } from "../../../ui/banner";
import { useBanner } from "../use-banner";
import { useDismissNotice } from "../use-dismiss-notice";
import { useMarkBannerSeen } from "../use-mark-banner-seen";
import { BannerChoices } from "./notice-choices";

/**
 * The current notice at the top of every portal page: what happened, what happens next, and the
 * customer's choices. Dismissing hides it until there is another notice to show.
 */
export function NoticeBanner() {
  const banner = useBanner();
  const dismiss = useDismissNotice();
  const [announcement, setAnnouncement] = useState("");
  const wrapper = useRef<HTMLDivElement>(null);
  const seen = useRef(false);
  const dismissing = useRef(false);
  const lastId = useRef<string | null>(null);
  const data = banner.data ?? null;
  useMarkBannerSeen(data?.noticeId ?? null);

  // Said to screen readers: a notice that arrives while the customer is here (not the one the page
  // opened with), and the outcome of a dismissal, once the banner has been fetched again.
  useEffect(() => {
    if (banner.isPending) return;
    const id = data?.noticeId ?? null;
    if (dismissing.current) {
      if (dismiss.isPending) return;
      dismissing.current = false;
      if (dismiss.isSuccess) {
        setAnnouncement(data ? `Notice dismissed. Another notice is shown: ${data.title}` : "Notice dismissed. You can still read it on the Notices page.");
        if (id) lastId.current = id;
        return;
      }
    }
    if (seen.current && id && id !== lastId.current) setAnnouncement(`New notice: ${data!.title}`);
    seen.current = true;
    if (id) lastId.current = id;
  }, [banner.isPending, data, dismiss.isPending, dismiss.isSuccess]);

  function onDismiss() {
    if (!data) return;
    // The button is about to go: keep the keyboard focus where the banner was.
    wrapper.current?.focus({ preventScroll: true });
    dismissing.current = true;
    dismiss.mutate({ noticeId: data.noticeId });
  }

  return (
    <div ref={wrapper} tabIndex={-1} className="outline-none">
      <p role="status" aria-live="polite" className="sr-only">{announcement}</p>
      {data && (
        <Banner
          severity={data.severity}
          title={data.title}
          onDismiss={onDismiss}
          dismissing={dismiss.isPending}
          testId="notice-banner"
          actions={data.choices.length > 0 ? <BannerChoices choices={data.choices} severity={data.severity} /> : undefined}
        >
          {data.happened && <p>{data.happened}</p>}
          {data.next && <p>{data.next}</p>}
          {dismiss.isError && (
            <p role="alert" className="font-medium">
              We could not dismiss this notice ({dismiss.error.message}). Try again in a moment.
            </p>
          )}
        </Banner>
      )}
    </div>
  );
}
