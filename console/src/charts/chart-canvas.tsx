import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

// Only what the console draws, so the bundle carries no unused chart types.
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
Chart.defaults.color = '#1f2328';

/**
 * One Chart.js chart. A canvas says nothing to a screen reader, so it is an image with a summary
 * label, and the same numbers follow as a table in a disclosure.
 */
export function ChartCanvas({
  config,
  label,
  table,
}: {
  config: ChartConfiguration;
  label: string;
  table: ComponentChildren;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    chart.current?.destroy();
    chart.current = new Chart(canvas.current, {
      ...config,
      options: { ...config.options, animation: false, responsive: true, maintainAspectRatio: false },
    });
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [config]);
  return (
    <figure class="chart">
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
      <details>
        <summary>Show the numbers</summary>
        {table}
      </details>
    </figure>
  );
}
