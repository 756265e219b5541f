import { Link } from "react-router";
import { paths } from "../../../app/paths";
import { CopyButton } from "../../../ui/copy-button";

/**
 * A new account with no calls yet: how to make the first one. With the demo on there is a metered
 * demo API to call; otherwise the call goes to the provider's own API, whose address Headroom does
 * not know, so the step says that instead of showing a command that would fail.
 */
export function FirstCall({ demoApi }: { demoApi: boolean }) {
  const curl = `curl ${window.location.origin}/demo-api/hello \\\n  -H "Authorization: Bearer <your key>"`;
  return (
    <section aria-labelledby="first-call" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6" data-testid="first-call">
      <h2 id="first-call" className="text-base font-semibold text-slate-900">Make your first call</h2>
      <p className="mt-1 text-sm text-slate-600">
        No calls yet. Once you make one, your calls per minute and per day appear here against your plan's caps, within a second or two.
      </p>
      <ol className="mt-4 space-y-4 text-sm text-slate-800">
        <li className="flex gap-3">
          <span className="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-brand-50 text-xs font-semibold text-brand-700" aria-hidden>1</span>
          <div>
            <p className="font-medium">Create an API key</p>
            <p className="mt-0.5 text-slate-600">
              On the <Link to={paths.keys} className="font-medium text-brand-700 underline underline-offset-2">API keys page</Link>. It is shown once, so copy it.
            </p>
          </div>
        </li>
        <li className="flex min-w-0 gap-3">
          <span className="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-brand-50 text-xs font-semibold text-brand-700" aria-hidden>2</span>
          <div className="min-w-0 flex-1">
            <p className="font-medium">Call the API with it</p>
            {demoApi ? (
              <>
                <div className="mt-2 flex flex-col gap-2 sm:flex-row sm:items-start">
                  <pre className="min-w-0 flex-1 overflow-x-auto rounded-lg bg-slate-900 px-3.5 py-3 font-mono text-[13px] leading-relaxed text-slate-100" tabIndex={0} aria-label="Example request">
                    <code>{curl}</code>
                  </pre>
                  <CopyButton text={curl.replace("\\\n  ", "")} label="Copy" />
                </div>
                <p className="mt-1.5 text-slate-600">Replace <code className="rounded bg-slate-100 px-1 font-mono text-[13px]">&lt;your key&gt;</code> with the key you created.</p>
              </>
            ) : (
              <p className="mt-0.5 text-slate-600">Send the key with your requests the way the API's documentation says; each call is counted here as it is made.</p>
            )}
          </div>
        </li>
      </ol>
    </section>
  );
}
