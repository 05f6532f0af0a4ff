// The statistics as bar charts: Chart.js (the pinned npm package's UMD build, served by the bot, loaded only when
// the statistics are shown) draws each table's column totals over the viewer's units. A count hidden for
// k-anonymity is never drawn: its bar is left out and its label says "<k". The table under each chart stays the
// accessible alternative; the canvas is an image whose aria-label names it and points at the table. Colours are the
// Fluent tokens of the Teams theme (light, dark, high contrast) and follow a change of theme. No animation.

import { format } from "/tab/static/dom.js";

export const COLUMN_LABELS = { channel: "channel", offender_relation: "offender", kind: "kinds" };
const charts = new Set();
let library;

function chartLibrary() {
  library ??= import("/tab/lib/chart.js/chart.umd.min.js").then(() => window.Chart);
  return library;
}

function colours() {
  const style = getComputedStyle(document.documentElement);
  const token = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return {
    bar: token("--colorBrandBackground", "#0f6cbd"),
    text: token("--colorNeutralForeground1", "#242424"),
    grid: token("--colorNeutralStroke2", "#e0e0e0"),
  };
}

function styled(options, colour) {
  for (const axis of ["x", "y"]) {
    options.scales[axis].ticks.color = colour.text;
    options.scales[axis].grid.color = colour.grid;
  }
  return options;
}

// The labels and values of one table's chart: the column totals, null (not drawn) where hidden.
export function chartData(ui, stats, table) {
  const named = (column) => ui.texts[COLUMN_LABELS[table.name]]?.[column] || column.replaceAll("_", " ");
  const labels = table.columns.map((column, index) =>
    table.columnTotals[index] === null
      ? format(ui.texts.tab.chart_hidden, { label: named(column), k: stats.k })
      : named(column),
  );
  return { labels, values: [...table.columnTotals] };
}

// A chart above each statistics table (the section whose heading is stat-<table name>).
export async function drawCharts(ui, stats) {
  for (const chart of charts) {
    if (!chart.canvas.isConnected) {
      chart.destroy();
      charts.delete(chart);
    }
  }
  const sections = stats.tables
    .map((table) => [table, document.getElementById(`stat-${table.name}`)])
    .filter(([table, heading]) => heading && table.columns.length);
  if (!sections.length) return;
  const Chart = await chartLibrary();
  const colour = colours();
  for (const [table, heading] of sections) {
    if (!heading.isConnected) continue; // the view changed while the library loaded
    const { labels, values } = chartData(ui, stats, table);
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", format(ui.texts.tab.chart_label, { name: heading.textContent }));
    canvas.dataset.table = table.name;
    const box = document.createElement("div");
    box.className = "chart";
    box.append(canvas);
    heading.after(box);
    const options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: {
        x: { ticks: {}, grid: {} },
        y: { beginAtZero: true, ticks: { precision: 0 }, grid: {} },
      },
    };
    const data = { labels, datasets: [{ label: heading.textContent, data: values, backgroundColor: colour.bar, maxBarThickness: 64 }] };
    charts.add(new Chart(canvas, { type: "bar", data, options: styled(options, colour) }));
  }
}

// A new Teams theme (app.js sets data-theme on the page): the charts take its colours.
new MutationObserver(() => {
  const colour = colours();
  for (const chart of charts) {
    if (!chart.canvas.isConnected) continue;
    chart.data.datasets[0].backgroundColor = colour.bar;
    styled(chart.options, colour);
    chart.update();
  }
}).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
