import { useBrand } from "./brand";

/** The provider's support address ("Contact help@…") and legal link, where they are configured; nothing otherwise. */
export function BrandFooter({ className = "" }: { className?: string }) {
  const { supportEmail, legal } = useBrand();
  if (!supportEmail && !legal) return null;
  return (
    <p className={`flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600 ${className}`} data-testid="brand-footer">
      {supportEmail && (
        <span>
          Contact <a href={`mailto:${supportEmail}`} className="font-medium text-brand-700 underline-offset-2 hover:underline">{supportEmail}</a>
        </span>
      )}
      {legal && <a href={legal.url} className="font-medium text-slate-700 underline-offset-2 hover:underline">{legal.label}</a>}
    </p>
  );
}
