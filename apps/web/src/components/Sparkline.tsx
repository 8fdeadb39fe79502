import { useCallback, useMemo } from "react";
import type uPlot from "uplot";
import { Chart, useChartTheme } from "./Chart.tsx";

// A KPI's recent shape: a line without axes, legend or cursor.

export function Sparkline({
  values,
  times,
  label,
  height = 40,
}: {
  values: (number | null)[];
  times: number[];
  label: string;
  height?: number;
}) {
  const theme = useChartTheme();
  const options = useCallback(
    (width: number): uPlot.Options => ({
      width,
      height,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: true } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: theme.accent, width: 1.75, spanGaps: true, points: { show: false }, fill: theme.band }],
      padding: [4, 0, 4, 0],
    }),
    [theme, height],
  );
  const data = useMemo<uPlot.AlignedData>(() => [times, values], [times, values]);
  return <Chart options={options} data={data} height={height} label={label} className="sparkline" />;
}
