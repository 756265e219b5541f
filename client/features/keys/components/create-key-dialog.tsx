import { useId, useRef, useState, type FormEvent } from "react";
import { Button } from "../../../ui/button";
import { CopyButton } from "../../../ui/copy-button";
import { Dialog, DialogClose } from "../../../ui/dialog";
import { useCreateKey } from "../use-create-key";

const NAME_MAX = 80;

/**
 * Names a new key, then shows it in full, once. The key lives only in this component's state:
 * closing the dialog drops it, and nothing can show it again.
 */
export function CreateKeyDialog({ open, onOpenChange, onCreated }: { open: boolean; onOpenChange: (open: boolean) => void; onCreated: (name: string) => void }) {
  const create = useCreateKey();
  const [name, setName] = useState("");
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [clientError, setClientError] = useState<string | null>(null);
  const keyBox = useRef<HTMLElement>(null);
  const nameId = useId();
  const hintId = useId();
  const errorId = useId();
  const keyLabelId = useId();

  function selectKey() {
    const box = keyBox.current;
    const selection = window.getSelection();
    if (!box || !selection) return;
    selection.selectAllChildren(box);
  }

  function close(next: boolean) {
    if (next) return onOpenChange(true);
    if (create.isPending) return;
    onOpenChange(false);
    setName("");
    setCreated(null);
    setClientError(null);
    create.reset();
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return setClientError("Give the key a name.");
    setClientError(null);
    create.mutate(
      { name: trimmed },
      {
        onSuccess: (k) => {
          setCreated({ name: k.name, key: k.key });
          onCreated(k.name);
        },
      },
    );
  }

  const error = clientError ?? (create.isError ? create.error.message : null);

  if (created) {
    return (
      <Dialog open={open} onOpenChange={close} title="Save your new key" description={<>“{created.name}” is ready. Copy it now and store it somewhere safe, such as your secrets manager.</>} dismissOnOutsideClick={false}>
        <div className="flex items-start gap-2.5 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950" data-testid="key-warning">
          <svg viewBox="0 0 24 24" className="mt-0.5 h-5 w-5 shrink-0 text-amber-600" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
            <path d="M12 9v4m0 4h.01M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z" />
          </svg>
          <p>
            <strong className="font-semibold">This key will not be shown again.</strong> We store only a fingerprint of it. If you lose it, revoke it and create a new one.
          </p>
        </div>
        <p id={keyLabelId} className="mt-4 text-sm font-medium text-slate-800">Your API key</p>
        <div className="mt-1.5 flex flex-col gap-2 sm:flex-row sm:items-start">
          <code
            ref={keyBox}
            aria-labelledby={keyLabelId}
            data-testid="new-key"
            className="block min-w-0 flex-1 select-all break-all rounded-lg border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-sm leading-relaxed text-slate-900"
          >
            {created.key}
          </code>
          <CopyButton text={created.key} label="Copy key" autoFocus fallbackSelect={selectKey} />
        </div>
        <div className="mt-6 flex justify-end">
          <DialogClose>
            <Button>Done</Button>
          </DialogClose>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog open={open} onOpenChange={close} title="Create an API key" description="Use a separate key for each app or environment, so you can revoke one without touching the others.">
      <form onSubmit={submit} noValidate>
        <label htmlFor={nameId} className="block text-sm font-medium text-slate-800">Name</label>
        <input
          id={nameId}
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={NAME_MAX}
          required
          autoFocus
          autoComplete="off"
          placeholder="Production"
          aria-describedby={error ? `${hintId} ${errorId}` : hintId}
          aria-invalid={error ? true : undefined}
          className="mt-1.5 w-full rounded-lg border border-slate-300 px-3 py-2 text-sm text-slate-900 placeholder:text-slate-400 aria-[invalid=true]:border-rose-500"
        />
        <p id={hintId} className="mt-1.5 text-xs text-slate-600">Up to {NAME_MAX} characters, for example Production, Staging or Nightly batch.</p>
        {error && (
          <p id={errorId} role="alert" className="mt-2 text-sm text-rose-700">{error}</p>
        )}
        <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <DialogClose>
            <Button variant="secondary" disabled={create.isPending}>Cancel</Button>
          </DialogClose>
          <Button type="submit" disabled={create.isPending}>{create.isPending ? "Creating…" : "Create key"}</Button>
        </div>
      </form>
    </Dialog>
  );
}
