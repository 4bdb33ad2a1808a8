/** Time-series line charts with uPlot (bundled; nothing from a CDN). */
import uPlot from "uplot";
import { h } from "./dom.ts";

export interface Series {
  label: string;
  color: string;
  values: number[];
}

export interface LineChart {
  el: HTMLElement;
  /** Replaces the data: `times` in epoch seconds, one value array per series (same order as created). */
  update(times: number[], values: number[][]): void;
  destroy(): void;
}

/** "14:05" (or "14:05:30" when the tick falls inside a minute): one short label per tick, no dates. */
function timeLabel(sec: number): string {
  const d = new Date(sec * 1000);
  const withSeconds = d.getSeconds() !== 0;
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: withSeconds ? "2-digit" : undefined, hour12: false });
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** A responsive line chart with a caption for screen readers; width follows its container. */
export function lineChart(label: string, series: Array<Omit<Series, "values">>, height = 220): LineChart {
  const el = h("figure", { class: "chart", "aria-label": label });
  const opts: uPlot.Options = {
    width: 600,
    height,
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      // Whole seconds and up only, so two ticks never share a label.
      { stroke: "#52606d", grid: { stroke: "#e4e7eb" }, values: (_u, splits) => splits.map(timeLabel), space: 70, incrs: TIME_STEPS },
      { stroke: "#52606d", grid: { stroke: "#e4e7eb" }, size: 50 },
    ],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: `${s.color}14`, points: { show: false } }))],
  };
  const plot = new uPlot(opts, [[], ...series.map(() => [])], el);
  const resize = () => {
    const w = Math.max(240, el.clientWidth);
    if (Math.abs(plot.width - w) > 2) plot.setSize({ width: w, height });
  };
  const ro = new ResizeObserver(resize);
  ro.observe(el);
  return {
    el,
    update(times, values) {
      plot.setData([times, ...values] as uPlot.AlignedData);
      resize();
    },
    destroy() {
      ro.disconnect();
      plot.destroy();
    },
  };
}
