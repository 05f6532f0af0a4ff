// Render Adaptive Cards with the official JavaScript renderer (npm `adaptivecards`) in headless Chromium,
// the way Teams desktop shows them, and screenshot each one. Driven by scripts/render_cards.py:
//
//   node scripts/render_cards.mjs JOB.json
//
// JOB.json: {"hostConfig": path, "css": path, "outDir": path, "results": path,
//            "cards": [{"name", "file", "widths": [480, 360], "expand": ["verb", "" (left closed), ...]}]}
// For every card it records the renderer's parse events (SerializationContext), the failures of
// card.validateProperties(), layout notes (button titles cut off, content wider than the card), and the
// screenshots taken; then writes them all to JOB.results. Offline: no network is used.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/lib/chromium/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

function page_html(css) {
  return `<!doctype html><html lang="da"><head><meta charset="utf-8"><style>${css}</style></head>
<body><div id="root"></div></body></html>`;
}

// Runs inside the page: parse, validate and render one card into #root at the given width.
function renderInPage({ payload, hostConfig, width }) {
  const AC = window.AdaptiveCards;
  const root = document.getElementById("root");
  root.innerHTML = "";
  const frame = document.createElement("div");
  frame.className = "teams-card";
  frame.style.width = `${width}px`;
  root.appendChild(frame);

  const card = new AC.AdaptiveCard();
  card.hostConfig = new AC.HostConfig(hostConfig);
  const context = new AC.SerializationContext();
  card.parse(payload, context);
  const describe = (event) => ({
    phase: AC.ValidationPhase[event.phase] ?? String(event.phase),
    event: AC.ValidationEvent[event.event] ?? String(event.event),
    message: event.message,
    source: event.source && event.source.getJsonTypeName ? event.source.getJsonTypeName() : undefined,
  });
  const parseEvents = [];
  for (let index = 0; index < context.eventCount; index++) {
    parseEvents.push(describe(context.getEventAt(index)));
  }
  const validation = card.validateProperties().validationEvents.map(describe);
  const element = card.render();
  if (!element) {
    return { parseEvents, validation, renderError: "card.render() returned nothing" };
  }
  frame.appendChild(element);
  return { parseEvents, validation };
}

// Runs inside the page: what a person would see cut off. Returns {"cut": [...], "wide": [...]}: button
// titles shortened with an ellipsis (Teams never wraps them) and elements reaching past the card's edge.
function layoutInPage() {
  const frame = document.querySelector(".teams-card");
  const right = frame.getBoundingClientRect().right;
  const cut = [];
  for (const button of frame.querySelectorAll("button")) {
    // The renderer puts the title in an inner div with an ellipsis, as Teams does.
    const label = button.querySelector("div") || button;
    if (label.offsetParent !== null && label.scrollWidth > label.clientWidth + 1) {
      cut.push(button.textContent.trim());
    }
  }
  const wide = [];
  for (const node of frame.querySelectorAll(".ac-textBlock, .ac-input, button, .ac-factset")) {
    if (node.getBoundingClientRect().right > right + 1) {
      wide.push(node.textContent.trim().slice(0, 60));
    }
  }
  return { cut: [...new Set(cut)], wide: [...new Set(wide)] };
}

// One line per kind of finding, e.g. '480px: button titles cut off: "Luk sagen", "Fjern opslag"'.
function layoutLines(where, found, already = { cut: [], wide: [] }) {
  const lines = [];
  const cut = found.cut.filter((text) => !already.cut.includes(text));
  const wide = found.wide.filter((text) => !already.wide.includes(text));
  if (cut.length) lines.push(`${where}: button titles cut off: ${cut.map((t) => `"${t}"`).join(", ")}`);
  if (wide.length) lines.push(`${where}: wider than the card: ${wide.map((t) => `"${t}"`).join(", ")}`);
  return lines;
}

async function screenshot(page, file) {
  await page.locator("#root > .teams-card").screenshot({ path: file, animations: "disabled" });
  return path.basename(file);
}

async function renderOne(page, job, hostConfig, card) {
  const payload = JSON.parse(readFileSync(card.file, "utf8"));
  const result = { name: card.name, parseEvents: [], validation: [], layout: [], screenshots: [], errors: [] };
  for (const [index, width] of card.widths.entries()) {
    await page.setViewportSize({ width: width + 40, height: 900 });
    const rendered = await page.evaluate(renderInPage, { payload, hostConfig, width });
    if (index === 0) {
      result.parseEvents = rendered.parseEvents;
      result.validation = rendered.validation;
    }
    if (rendered.renderError) {
      result.errors.push(rendered.renderError);
      return result;
    }
    const found = await page.evaluate(layoutInPage);
    result.layout.push(...layoutLines(`${width}px`, found));
    const suffix = index === 0 ? "" : `-${width}`;
    result.screenshots.push(await screenshot(page, path.join(job.outDir, `${card.name}${suffix}.png`)));
    if (index === 0 && card.expand.length) {
      await expandEach(page, job, card, result, found);
    }
  }
  return result;
}

// Opens each Action.ShowCard in turn (as a person clicking it) and screenshots the opened card; notes
// only what the opened part adds to the closed card's layout notes.
async function expandEach(page, job, card, result, closed) {
  const toggles = page.locator("#root button[aria-expanded]");
  const count = await toggles.count();
  if (count !== card.expand.length) {
    result.errors.push(`expected ${card.expand.length} show-card buttons, found ${count}`);
    return;
  }
  for (const [index, label] of card.expand.entries()) {
    if (!label) continue; // an empty name leaves that show-card closed
    await toggles.nth(index).click();
    const found = await page.evaluate(layoutInPage);
    result.layout.push(...layoutLines(`${card.widths[0]}px, ${label} opened`, found, closed));
    result.screenshots.push(await screenshot(page, path.join(job.outDir, `${card.name}--${label}.png`)));
    await toggles.nth(index).click();
  }
}

async function main() {
  const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const hostConfig = JSON.parse(readFileSync(job.hostConfig, "utf8"));
  mkdirSync(job.outDir, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1, locale: "da-DK" });
    await page.route("**/*", (route) => route.abort()); // offline: nothing may be fetched
    await page.setContent(page_html(readFileSync(job.css, "utf8")));
    // Teams renders Markdown in TextBlocks; the renderer uses markdown-it when the page has it.
    await page.addScriptTag({ path: require.resolve("markdown-it/browser") });
    await page.addScriptTag({ path: require.resolve("adaptivecards/dist/adaptivecards.min.js") });
    await page.evaluate(() => document.fonts.ready);
    const results = [];
    for (const card of job.cards) {
      results.push(await renderOne(page, job, hostConfig, card));
    }
    writeFileSync(job.results, JSON.stringify(results, null, 2));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
