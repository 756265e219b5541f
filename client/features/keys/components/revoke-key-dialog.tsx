import { Button } from "../../../ui/button";
import { Dialog, DialogClose } from "../../../ui/dialog";
import { useRevokeKey } from "../use-revoke-key";

export interface KeyToRevoke {
  id: string;
  name: string;
  prefix: string;
}

/** Asks before revoking, naming the key: a revoked key stops working at once and cannot be restored. */
export function RevokeKeyDialog({ target, onClose, onRevoked }: { target: KeyToRevoke | null; onClose: () => void; onRevoked: (name: string) => void }) {
  const revoke = useRevokeKey();

  function close(open: boolean) {
    if (open || revoke.isPending) return;
    revoke.reset();
    onClose();
  }

  return (
    <Dialog
      open={target !== null}
      onOpenChange={close}
      role="alertdialog"
      title={target ? `Revoke “${target.name}”?` : "Revoke key?"}
      description={
        target && (
          <>
            Calls made with <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-[13px] text-slate-800">{target.prefix}…</code> will be refused from now on. Apps that use it stop working until you give them another key. This cannot be undone.
          </>
        )
      }
    >
      {revoke.isError && <p role="alert" className="mb-4 text-sm text-rose-700">{revoke.error.message}</p>}
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <DialogClose>
          <Button variant="secondary" disabled={revoke.isPending}>Cancel</Button>
        </DialogClose>
        <Button
          variant="danger"
          disabled={revoke.isPending || !target}
          onClick={() =>
            target &&
            revoke.mutate(
              { keyId: target.id },
              {
                onSuccess: () => {
                  onRevoked(target.name);
                  revoke.reset();
                  onClose();
                },
              },
            )
          }
        >
          {revoke.isPending ? "Revoking…" : "Revoke key"}
        </Button>
      </div>
    </Dialog>
  );
}
