import { useBrand } from "./brand";

/** The provider's logo (BRAND_LOGO_URL), or its name beside Headroom's mark in its colour. */
export function Logo({ subtitle }: { subtitle?: string }) {
  const brand = useBrand();
  return (
    <span className="flex items-center gap-2">
      {brand.logoUrl ? (
        <img src={brand.logoUrl} alt={brand.name} height={28} className="h-7 w-auto max-w-48 object-contain" />
      ) : (
        <>
          <svg viewBox="0 0 32 32" className="h-7 w-7 shrink-0" aria-hidden>
            <rect width="32" height="32" rx="7" fill="var(--color-brand-600)" />
            <path d="M8 22h16M8 22V14m8 8V9m8 13v-6" stroke="#fff" strokeWidth="3" strokeLinecap="round" />
          </svg>
          <span className="text-lg font-semibold leading-tight tracking-tight text-slate-900">{brand.name}</span>
        </>
      )}
      {subtitle && <span className="rounded bg-slate-900 px-1.5 py-0.5 text-[10px] font-semibold uppercase tracking-wider text-white">{subtitle}</span>}
    </span>
  );
}
