import { useQuery } from "@tanstack/react-query";
import { useLayoutEffect } from "react";
import { type Brand, DEFAULT_BRAND } from "../../shared/brand";
import { useTRPC } from "../lib/trpc";

/** Same id as server/http/spa-index.ts writes (kept apart: the client bundles no server code). */
const BRAND_ELEMENT_ID = "headroom-brand";

/** The brand the server wrote into index.html, so the first paint has the right name, logo and colour. */
function brandInPage(): Brand | undefined {
  const text = typeof document === "undefined" ? null : document.getElementById(BRAND_ELEMENT_ID)?.textContent;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Brand;
  } catch {
    return undefined;
  }
}

const initialBrand = brandInPage();

/** The provider's brand (session.brand), known from the first render when index.html carries it. */
export function useBrand(): Brand {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.session.brand.queryOptions(), staleTime: Number.POSITIVE_INFINITY, initialData: initialBrand });
  return query.data ?? DEFAULT_BRAND;
}

/**
 * The primary colour as the CSS custom property Tailwind's brand tokens derive from (client/index.css).
 * Headroom's own colour keeps its hand-picked shades: the attribute is set only for another colour.
 */
export function applyBrandColor(root: HTMLElement, primaryColor: string): void {
  if (primaryColor === DEFAULT_BRAND.primaryColor) {
    root.removeAttribute("data-brand-color");
    root.style.removeProperty("--brand-primary");
  } else {
    root.setAttribute("data-brand-color", "");
    root.style.setProperty("--brand-primary", primaryColor);
  }
}

/** Keeps <html>'s colour in step with the brand; rendered once, in the providers. */
export function BrandColor() {
  const { primaryColor } = useBrand();
  useLayoutEffect(() => applyBrandColor(document.documentElement, primaryColor), [primaryColor]);
  return null;
}

if (initialBrand && typeof document !== "undefined") applyBrandColor(document.documentElement, initialBrand.primaryColor);
