/**
 * The provider's brand, as customers see it in the portal, the e-mails, the page titles and the
 * embeddable banner. Set from the environment (BRAND_* in server/config.ts); the defaults are
 * Headroom's own look.
 */
export interface Brand {
  /** The product name customers know, e.g. "Acme API". */
  name: string;
  /** An absolute http(s) URL of the logo image, or null for the name with Headroom's mark. */
  logoUrl: string | null;
  /** The primary colour as `#rrggbb` (buttons, links, the active navigation entry). */
  primaryColor: string;
  /** Where customers write for help, or null when the provider gives none. */
  supportEmail: string | null;
  /** A link shown in the footer of the portal and the e-mails (terms, imprint), or null. */
  legal: { label: string; url: string } | null;
}

export const DEFAULT_BRAND: Brand = {
  name: "Headroom",
  logoUrl: null,
  primaryColor: "#4f46e5",
  supportEmail: null,
  legal: null,
};

/** `#abc` or `#aabbcc` (any case) → `#aabbcc`, or null when it is not a hex colour. */
export function normalizeHexColor(value: string): string | null {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!m) return null;
  const hex = m[1]!.toLowerCase();
  return `#${hex.length === 3 ? [...hex].map((c) => c + c).join("") : hex}`;
}

/** WCAG 2.x contrast ratio of a `#rrggbb` colour against white (1 to 21). */
export function contrastWithWhite(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return 1.05 / (luminance + 0.05);
}

/** White text on the primary colour, and the colour as link text on white, must be readable (WCAG AA, 4.5:1). */
export const MIN_PRIMARY_CONTRAST = 4.5;
