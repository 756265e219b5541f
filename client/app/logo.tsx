export function Logo({ subtitle }: { subtitle?: string }) {
  return (
    <span className="flex items-center gap-2">
      <svg viewBox="0 0 32 32" className="h-7 w-7" aria-hidden>
        <rect width="32" height="32" rx="7" fill="#4f46e5" />
        <path d="M8 22h16M8 22V14m8 8V9m8 13v-6" stroke="#fff" strokeWidth="3" strokeLinecap="round" />
      </svg>
      <span className="text-lg font-semibold tracking-tight text-slate-900">Headroom</span>
      {subtitle && <span className="rounded bg-slate-900 px-1.5 py-0.5 text-[10px] font-semibold uppercase tracking-wider text-white">{subtitle}</span>}
    </span>
  );
}
