import { createRoot } from "react-dom/client";
import uPlot from "uplot";
import { Chart } from "../../src/components/Chart.tsx";

// The KPI page's chart (the same wrapper, the same four series) with n points, timed from the
// render call to the first paint after the canvas exists.

declare global {
  interface Window {
    renderChart: (points: number, raw: boolean) => Promise<number>;
  }
}

/** Resolves just after the next frame is painted (a task queued from its animation callback). */
function nextPaint(): Promise<void> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => {
      setTimeout(resolve, 0);
    });
  });
}

const options = (width: number): uPlot.Options => ({
  width,
  height: 320,
  scales: { x: { time: true } },
  legend: { live: true },
  series: [
    {},
    { label: "This period", stroke: "#2563eb", width: 2, spanGaps: true, points: { show: false } },
    { label: "Previous period", stroke: "#9333ea", width: 1.5, dash: [6, 4], spanGaps: true, points: { show: false } },
    { label: "Target", stroke: "#047857", width: 1.5, dash: [2, 4], points: { show: false } },
  ],
});

window.renderChart = async (points: number, raw: boolean) => {
  const start = Date.UTC(2025, 0, 1) / 1000;
  const times = Array.from({ length: points }, (_, index) => start + index * 60);
  const current = times.map((_, index) => 100 + 20 * Math.sin(index / 50) + ((index * 7919) % 13));
  const previous = times.map((_, index) => 95 + 18 * Math.sin(index / 47));
  const target = times.map(() => 130);
  const data: uPlot.AlignedData = [times, current, previous, target];
  const stage = document.getElementById("stage");
  if (!stage) throw new Error("no stage");
  const host = document.createElement("div");
  stage.replaceChildren(host);
  // In the app React is already running when a chart mounts: warm it up first.
  const warm = document.createElement("div");
  document.body.append(warm);
  createRoot(warm).render(<p>warm</p>);
  await nextPaint();
  const began = performance.now();
  // raw: uPlot alone, for comparison with the wrapper.
  if (raw) new uPlot({ ...options(1200), height: 320 }, data, host);
  else createRoot(host).render(<Chart options={options} data={data} height={320} label="benchmark" />);
  while (!host.querySelector("canvas")) await new Promise((resolve) => setTimeout(resolve, 0));
  await nextPaint();
  return performance.now() - began;
};
