import "uplot/dist/uPlot.min.css";
import { useEffect, useLayoutEffect, useRef, useSyncExternalStore } from "react";
import uPlot from "uplot";

// A thin React wrapper over uPlot: one chart per mounted element, rebuilt when its options
// change, given new data in place (no rebuild), resized with its container.

export interface ChartTheme {
  text: string;
  muted: string;
  grid: string;
  accent: string;
  compare: string;
  target: string;
  band: string;
}

const darkQuery = "(prefers-color-scheme: dark)";

function subscribeScheme(onChange: () => void): () => void {
  const query = window.matchMedia(darkQuery);
  query.addEventListener("change", onChange);
  return () => {
    query.removeEventListener("change", onChange);
  };
}

function readTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string) => style.getPropertyValue(name).trim();
  return {
    text: read("--text-muted"),
    muted: read("--text-muted"),
    grid: read("--chart-grid"),
    accent: read("--chart-line"),
    compare: read("--chart-compare"),
    target: read("--chart-target"),
    band: read("--chart-band"),
  };
}

let cachedScheme: boolean | null = null;
let cachedTheme: ChartTheme | null = null;

/** The chart colours from the CSS variables; changes with the system's light/dark setting. */
export function useChartTheme(): ChartTheme {
  const dark = useSyncExternalStore(subscribeScheme, () => window.matchMedia(darkQuery).matches);
  if (cachedTheme === null || cachedScheme !== dark) {
    cachedScheme = dark;
    cachedTheme = readTheme();
  }
  return cachedTheme;
}

interface ChartProps {
  /** Built for a width; a new object rebuilds the chart, so memoise it. */
  options: (width: number) => uPlot.Options;
  data: uPlot.AlignedData;
  height: number;
  className?: string;
  /** Describes the chart for screen readers (the numbers are in the table beside it). */
  label: string;
}

export function Chart({ options, data, height, className = "", label }: ChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latestData = useRef(data);
  latestData.current = data;
  // The data the chart last drew: a fresh chart already has it, so it is not drawn twice.
  const drawn = useRef<uPlot.AlignedData | null>(null);

  // Build (or rebuild) when the options change, before the browser paints: the first frame
  // already has the chart, at the container's width.
  useLayoutEffect(() => {
    const element = container.current;
    if (!element) return;
    const built = new uPlot({ ...options(element.clientWidth), height }, latestData.current, element);
    chart.current = built;
    drawn.current = latestData.current;
    return () => {
      built.destroy();
      chart.current = null;
    };
  }, [options, height]);

  useEffect(() => {
    if (!chart.current || drawn.current === data) return;
    chart.current.setData(data);
    drawn.current = data;
  }, [data]);

  // Follow the container's width.
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const observer = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      const current = chart.current;
      if (current && width > 0 && width !== current.width) current.setSize({ width, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
    };
  }, [height]);

  return (
    <div ref={container} className={`chart ${className}`} role="img" aria-label={label} style={{ minHeight: height }} />
  );
}
