import { readFileSync, statSync } from "node:fs";
import type { Brand } from "../../shared/brand";
import { esc } from "../notify/render-email";

/** The element id of the brand's JSON in index.html; client/app/brand.ts reads it before the first render. */
export const BRAND_ELEMENT_ID = "headroom-brand";

/**
 * index.html as built, in the provider's brand: its name as the first title, and the brand as a JSON
 * data block, so the portal paints the right name, logo and colour at once (no flash, no shift, no
 * extra request). A data block is not script: the policy's `script-src 'self'` still holds.
 */
export function brandIndexHtml(html: string, brand: Brand): string {
  // "<" never appears raw inside the block, so no value can close it.
  const json = JSON.stringify(brand).replace(/</g, "\\u003c");
  return html
    .replace("<title>Headroom</title>", `<title>${esc(brand.name)}</title>`)
    .replace("</head>", `<script type="application/json" id="${BRAND_ELEMENT_ID}">${json}</script></head>`);
}

/** The branded index.html, read again only when the build changes it. */
export function brandedIndex(path: string, brand: Brand): () => string {
  let cached: { mtimeMs: number; html: string } | null = null;
  return () => {
    const { mtimeMs } = statSync(path);
    if (!cached || cached.mtimeMs !== mtimeMs) cached = { mtimeMs, html: brandIndexHtml(readFileSync(path, "utf8"), brand) };
    return cached.html;
  };
}
