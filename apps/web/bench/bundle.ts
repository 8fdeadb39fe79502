// `pnpm size`: builds the client (production, into a temporary folder) and prints the JavaScript
// each first page downloads, gzipped as the host serves it: the entry with its static imports,
// plus the page's lazy chunk and its own static imports.
import { readFile, rm } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "vite";

interface ManifestChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  isEntry?: boolean;
}
type Manifest = Record<string, ManifestChunk>;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = await mkdtemp(path.join(tmpdir(), "northstar-size-"));

function closure(manifest: Manifest, keys: string[], seen = new Set<string>()): Set<string> {
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    closure(manifest, manifest[key]?.imports ?? [], seen);
  }
  return seen;
}

async function gzipped(file: string): Promise<{ raw: number; gzip: number }> {
  const content = await readFile(path.join(outDir, file));
  return { raw: content.length, gzip: gzipSync(content, { level: 9 }).length };
}

async function sizeOf(manifest: Manifest, keys: Set<string>): Promise<{ raw: number; gzip: number; files: number }> {
  let raw = 0;
  let gzip = 0;
  for (const key of keys) {
    const chunk = manifest[key];
    if (!chunk?.file.endsWith(".js")) continue;
    const size = await gzipped(chunk.file);
    raw += size.raw;
    gzip += size.gzip;
  }
  return { raw, gzip, files: keys.size };
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

try {
  await build({
    root,
    mode: "production",
    logLevel: "warn",
    build: { outDir, emptyOutDir: true, manifest: true, sourcemap: false },
  });
  const manifest = JSON.parse(await readFile(path.join(outDir, ".vite", "manifest.json"), "utf8")) as Manifest;
  const entry = Object.keys(manifest).find((key) => manifest[key]?.isEntry);
  if (!entry) throw new Error("the build has no entry chunk");
  const pages = ["src/routes/SignIn.tsx", "src/routes/Dashboard.tsx", "src/routes/KpiPage.tsx", "src/routes/Goals.tsx"];
  const rows: string[][] = [];
  for (const page of pages) {
    const size = await sizeOf(manifest, closure(manifest, [entry, page]));
    rows.push([`first page ${page.replace("src/routes/", "").replace(".tsx", "")}`, kB(size.raw), kB(size.gzip)]);
  }
  let total = { raw: 0, gzip: 0 };
  for (const chunk of Object.values(manifest)) {
    if (!chunk.file.endsWith(".js")) continue;
    const size = await gzipped(chunk.file);
    total = { raw: total.raw + size.raw, gzip: total.gzip + size.gzip };
  }
  rows.push(["all JavaScript", kB(total.raw), kB(total.gzip)]);
  console.log(["what", "minified", "gzip"].join(" | "));
  for (const row of rows) console.log(row.join(" | "));
} finally {
  await rm(outDir, { recursive: true, force: true });
}
