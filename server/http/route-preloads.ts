import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The code-split modules each portal page loads first (client/app/router.tsx's `lazy` imports; the
 * usage page is in the app's own script, and its charts, below the first screen, load apart), by the source path Vite's manifest names them with. A page's chunks are
 * then asked for beside the app's own script instead of after it has run: one round trip fewer
 * before a phone draws the page. A path not listed gets no hints and loads as before.
 */
export const ROUTE_MODULES: ReadonlyArray<{ path: string; modules: readonly string[] }> = [
  { path: "/plans/change", modules: ["features/plans/plan-change-page.tsx"] },
  { path: "/plans", modules: ["features/plans/plans-page.tsx"] },
  { path: "/keys", modules: ["features/keys/keys-page.tsx"] },
  { path: "/billing", modules: ["features/billing/billing-page.tsx"] },
  { path: "/notices", modules: ["features/notices/notices-page.tsx"] },
  { path: "/settings", modules: ["features/settings/settings-page.tsx"] },
  { path: "/support", modules: ["features/support/support-page.tsx"] },
  { path: "/sign-in", modules: ["features/session/sign-in-page.tsx"] },
  { path: "/console/sign-in", modules: ["features/session/operator-sign-in-page.tsx"] },
];

interface ManifestChunk {
  file: string;
  imports?: string[];
  isEntry?: boolean;
}
type Manifest = Record<string, ManifestChunk>;

/** The files a module needs, itself first, without those the entry (index.html) already loads. */
function chunkFiles(manifest: Manifest, key: string, skip: Set<string>, out: Set<string>): void {
  const chunk = manifest[key];
  if (!chunk || skip.has(chunk.file) || out.has(chunk.file)) return;
  out.add(chunk.file);
  for (const dep of chunk.imports ?? []) chunkFiles(manifest, dep, skip, out);
}

/** `<link rel="modulepreload">` tags for a path, from a parsed manifest. */
export function preloadTags(manifest: Manifest, path: string): string {
  const route = ROUTE_MODULES.find((r) => path === r.path || path.startsWith(`${r.path}/`));
  if (!route) return "";
  const entry = Object.values(manifest).find((c) => c.isEntry);
  const skip = new Set<string>();
  if (entry) {
    const loaded = new Set<string>();
    chunkFiles(manifest, Object.keys(manifest).find((k) => manifest[k] === entry)!, new Set(), loaded);
    for (const f of loaded) skip.add(f);
  }
  const files = new Set<string>();
  for (const m of route.modules) chunkFiles(manifest, m, skip, files);
  return [...files].map((f) => `<link rel="modulepreload" crossorigin href="/${f}">`).join("");
}

/** Reads `<clientDir>/.vite/manifest.json` again only when a build changes it; without one, no hints. */
export function routePreloads(clientDir: string): (path: string) => string {
  const file = join(clientDir, ".vite", "manifest.json");
  let cached: { mtimeMs: number; manifest: Manifest } | null = null;
  return (path) => {
    if (!existsSync(file)) return "";
    const { mtimeMs } = statSync(file);
    if (!cached || cached.mtimeMs !== mtimeMs) cached = { mtimeMs, manifest: JSON.parse(readFileSync(file, "utf8")) as Manifest };
    return preloadTags(cached.manifest, path);
  };
}
