import { ConfirmDialog } from "../../../ui/confirm-dialog";
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
    if (open) return;
    revoke.reset();
    onClose();
  }

  return (
    <ConfirmDialog
      open={target !== null}
      onOpenChange={close}
      title={target ? `Revoke “${target.name}”?` : "Revoke key?"}
      description={
        target && (
          <>
            Calls made with <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-[13px] text-slate-800">{target.prefix}…</code> will be refused from now on. Apps that use it stop working until you give them another key. This cannot be undone.
          </>
        )
      }
      confirmLabel="Revoke key"
      pendingLabel="Revoking…"
      tone="danger"
      pending={revoke.isPending}
      error={revoke.isError ? revoke.error.message : null}
      disabled={!target}
      onConfirm={() => {
        if (!target) return false;
        revoke.mutate(
          { keyId: target.id },
          {
            onSuccess: () => {
              onRevoked(target.name);
              revoke.reset();
              onClose();
            },
          },
        );
      }}
    />
  );
}
