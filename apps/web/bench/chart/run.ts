// `pnpm bench:chart`: the KPI chart (src/components/Chart.tsx over uPlot) rendered in headless
// Chromium with 10,000 and 100,000 points; prints render-to-paint milliseconds (median of 7,
// each in a fresh page). Not part of `pnpm test`.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { launchChromium } from "../../e2e/browser.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = await mkdtemp(path.join(tmpdir(), "northstar-chart-bench-"));
const runs = 7;

const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

try {
  await build({
    root,
    mode: "production",
    logLevel: "warn",
    build: {
      outDir,
      emptyOutDir: true,
      sourcemap: false,
      rolldownOptions: { input: path.join(root, "bench/chart/index.html") },
    },
  });
  const server = createServer((request, response) => {
    const file = path.join(outDir, new URL(request.url ?? "/", "http://localhost").pathname);
    readFile(file).then(
      (content) =>
        response
          .writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" })
          .end(content),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bench/chart/index.html`;
  const browser = await launchChromium();
  try {
    console.log("chart | points | median ms | min ms | max ms");
    for (const [name, raw, points] of [
      ["React wrapper", false, 10_000],
      ["React wrapper", false, 100_000],
      ["uPlot alone", true, 10_000],
      ["uPlot alone", true, 100_000],
    ] as const) {
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await page.goto(url);
        await page.waitForFunction(() => typeof window.renderChart === "function");
        times.push(await page.evaluate(([count, alone]) => window.renderChart(count, alone), [points, raw] as const));
        await page.close();
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
      console.log(
        `${name} | ${points.toLocaleString("en")} | ${median.toFixed(1)} | ` +
          `${(times[0] ?? 0).toFixed(1)} | ${(times.at(-1) ?? 0).toFixed(1)}`,
      );
    }
  } finally {
    await browser.close();
    server.close();
  }
} finally {
  await rm(outDir, { recursive: true, force: true });
}
