/** Gzip sizes of what the portal's first page loads: the entry script, its modulepreloads, and stylesheets. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT_DIR } from "./child";

export interface BundleFile {
  file: string;
  kind: "js" | "css";
  bytes: number;
  gzipBytes: number;
}

export interface BundleResult {
  dir: string;
  built: boolean;
  indexHtmlMtime: string;
  /** React's development build (jsxDEV) — not what production serves. */
  development: boolean;
  files: BundleFile[];
  jsGzipKb: number;
  cssGzipKb: number;
}

function viteBuild(outDir?: string): void {
  const args = ["vite", "build", ...(outDir ? ["--outDir", outDir, "--emptyOutDir"] : [])];
  execFileSync("npx", args, { cwd: ROOT_DIR, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NODE_ENV: "production" } });
}

/** Measures the first page of a built client directory. */
export function measureClient(clientDir: string, built = false): BundleResult {
  const index = resolve(clientDir, "index.html");
  const html = readFileSync(index, "utf8");
  const attr = (tag: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*["']([^"']+)["']`, "i").exec(tag)?.[1] ?? null;
  const js = new Set<string>();
  const css = new Set<string>();
  for (const [tag] of html.matchAll(/<script\b[^>]*>/gi)) {
    const src = attr(tag, "src");
    if (src && /\btype\s*=\s*["']module["']/i.test(tag)) js.add(src);
  }
  for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
    const rel = attr(tag, "rel")?.toLowerCase();
    const href = attr(tag, "href");
    if (!href) continue;
    if (rel === "modulepreload") js.add(href);
    if (rel === "stylesheet") css.add(href);
  }
  const files: BundleFile[] = [];
  let development = false;
  for (const [kind, set] of [["js", js], ["css", css]] as const) {
    for (const href of set) {
      const content = readFileSync(resolve(clientDir, href.replace(/^\//, "").split(/[?#]/)[0]!));
      if (kind === "js" && (href.includes("jsx-dev-runtime") || content.includes("jsxDEV"))) development = true;
      files.push({ file: href, kind, bytes: content.length, gzipBytes: gzipSync(content).length });
    }
  }
  const sum = (kind: "js" | "css") => files.filter((f) => f.kind === kind).reduce((s, f) => s + f.gzipBytes, 0) / 1000;
  return { dir: clientDir, built, indexHtmlMtime: statSync(index).mtime.toISOString(), development, files, jsGzipKb: sum("js"), cssGzipKb: sum("css") };
}

/**
 * dist/client as it is (built with `vite build` first if it is missing); when what is there is a
 * development build, also a fresh production build in a temp directory, which is what the target is about.
 */
export function measureBundle(): { dist: BundleResult; production: BundleResult | null } {
  const clientDir = resolve(ROOT_DIR, "dist/client");
  let built = false;
  if (!existsSync(resolve(clientDir, "index.html"))) {
    viteBuild();
    built = true;
  }
  const dist = measureClient(clientDir, built);
  if (!dist.development) return { dist, production: null };
  const out = mkdtempSync(join(tmpdir(), "headroom-bench-client-"));
  try {
    viteBuild(out);
    return { dist, production: { ...measureClient(out, true), dir: "(fresh production build in a temp directory)" } };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
