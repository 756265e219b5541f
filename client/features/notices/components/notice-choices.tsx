import { useId } from "react";
import { Link } from "react-router";
import { BANNER_TONES, type BannerSeverity } from "../../../ui/banner";
import { appPath, type ChoiceKind } from "../notice-text";

export interface Choice {
  kind: ChoiceKind;
  label: string;
  detail: string;
  url: string | null;
}

/**
 * The banner's choices: upgrading is the one solid action, the others are links. The upgrade's
 * detail (the plan's price, and that nothing changes before the customer sees the exact amount) is
 * shown under them; the other details are read out as the links' descriptions.
 */
export function BannerChoices({ choices, severity }: { choices: Choice[]; severity: BannerSeverity }) {
  const tone = BANNER_TONES[severity];
  const baseId = useId();
  const upgrade = choices.find((c) => c.kind === "upgrade");
  return (
    <>
      {choices.map((c, i) => {
        const detailId = `${baseId}-${i}`;
        return (
          <span key={c.kind} className="contents">
            <Link
              to={appPath(c.url, c.kind)}
              aria-describedby={detailId}
              data-choice={c.kind}
              className={
                c.kind === "upgrade"
                  ? `inline-flex items-center gap-1.5 rounded-lg px-3 py-1.5 font-medium shadow-sm ${tone.action}`
                  : `font-medium underline underline-offset-2 ${tone.link}`
              }
            >
              {c.label}
              {c.kind === "upgrade" && <span aria-hidden>→</span>}
            </Link>
            {c.kind !== "upgrade" && <span id={detailId} hidden>{c.detail}</span>}
          </span>
        );
      })}
      {upgrade && (
        <p id={`${baseId}-${choices.indexOf(upgrade)}`} className={`basis-full text-xs leading-relaxed ${tone.body}`}>
          {upgrade.detail}
        </p>
      )}
    </>
  );
}

/** The choices of a notice on the notices page: each link with what it means. */
export function ChoiceList({ choices }: { choices: Choice[] }) {
  if (choices.length === 0) return null;
  return (
    <ul aria-label="Your choices" className="mt-4 grid gap-2 sm:grid-cols-3">
      {choices.map((c) => (
        <li key={c.kind} className="rounded-lg border border-slate-200 bg-slate-50/60 px-3 py-2.5 text-sm">
          <Link
            to={appPath(c.url, c.kind)}
            className="font-medium text-brand-700 underline decoration-brand-500/40 underline-offset-2 hover:text-brand-600 hover:decoration-brand-600"
          >
            {c.label}
          </Link>
          <p className="mt-0.5 text-slate-600">{c.detail}</p>
        </li>
      ))}
    </ul>
  );
}
