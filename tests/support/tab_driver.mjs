// Loads the Overblik tab the way Teams does, in Debian's Chromium with playwright-core: a host page at Teams'
// origin frames the tab at the bot's https origin and answers the Teams JS SDK's host messages (initialize,
// getContext with theme and locale, authentication.getAuthToken, executeDeepLink), so the real
// @microsoft/teams-js in the tab talks to it. Nothing leaves the machine: the host page is served by this driver,
// the tab's origin is proxied to the bot under test over real HTTP, every other request is refused.
//
//   node tests/support/tab_driver.mjs plan.json result.json
//
// plan.json: {chromium, botUrl, tabOrigin, axeScript, screensDir, stepTimeoutMs,
//             sessions: [{name, hostOrigin, token, locale, theme, viewport, path?, steps: [{do, ...}]}]}
//             (path: the page framed, /tab unless given; /privacy for the privacy notice)
// result.json: {ok, sessions: {name: {steps: [{do, value}], csp: [...], api: [{path, status}], deepLinks: [...],
//               hostCalls: [...], cookies: n, setCookie: n}}, error?, failedStep?}
//
// Steps (in the framed tab): waitText {text} | click {role, name} | fill {label, text} | tabTo {name, max} (Tab until focus is on it;
// value = presses) | press {key} | text (value = the tab's visible text) | axe (value = violations) |
// screenshot {name} | download {role, name} (value = the file's text) | framed (value = did the tab load at all)
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [planPath, resultPath] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, "utf8"));
const timeout = plan.stepTimeoutMs ?? 15000;
const axeSource = readFileSync(plan.axeScript, "utf8");
const result = { ok: false, sessions: {} };
const LAUNCH_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];

function hostPage(session) {
  const config = {
    tabOrigin: plan.tabOrigin,
    token: session.token,
    context: {
      locale: session.locale,
      theme: session.theme,
      entityId: "overview",
      frameContext: "content",
      hostClientType: "web",
      hostName: "Teams",
      appSessionId: "00000000-0000-4000-8000-000000000001",
      userObjectId: session.oid,
      tid: session.tenant,
      loginHint: session.upn,
      userPrincipalName: session.upn,
      userDisplayName: session.displayName,
    },
  };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Teams (test host)</title>
<style>body{margin:0} iframe{border:0;width:100vw;height:100vh;display:block}</style></head>
<body><iframe id="tab" title="Værn" src="${plan.tabOrigin}${session.path ?? "/tab"}"></iframe>
<script>
const config = ${JSON.stringify(config)};
const frame = document.getElementById("tab");
window.__host = { calls: [], deepLinks: [] };
window.addEventListener("message", (event) => {
  if (event.source !== frame.contentWindow || event.origin !== config.tabOrigin) return;
  const message = event.data;
  if (!message || typeof message.func !== "string") return;
  window.__host.calls.push(message.func);
  const reply = (args) =>
    frame.contentWindow.postMessage({ id: message.id, uuidAsString: message.uuidAsString, args }, config.tabOrigin);
  switch (message.func) {
    case "initialize": return reply(["content", "web", message.args[0]]);
    case "getContext": return reply([config.context]);
    case "authentication.getAuthToken":
      return config.token ? reply([true, config.token]) : reply([false, "FailedToGetToken"]);
    case "executeDeepLink": window.__host.deepLinks.push(message.args[0]); return reply([true]);
    default: if (message.func.startsWith("appInitialization.")) return reply([]);
  }
});
</script></body></html>`;
}

const tabFrame = (page) => page.frameLocator("#tab");

async function frameOf(page) {
  for (let tries = 0; tries < 100; tries += 1) {
    const frame = page.frames().find((f) => f.url().startsWith(`${plan.tabOrigin}/`));
    if (frame) return frame;
    await page.waitForTimeout(100);
  }
  throw new Error("the tab's frame never appeared");
}

async function step(page, s, record) {
  const tab = tabFrame(page);
  switch (s.do) {
    case "waitText":
      await tab.getByText(s.text, { exact: false }).first().waitFor({ timeout });
      return undefined;
    case "click":
      await tab.getByRole(s.role, { name: s.name, exact: true }).first().click({ timeout });
      return undefined;
    case "fill":
      await tab.getByLabel(s.label, { exact: true }).first().fill(s.text, { timeout });
      return undefined;
    case "press":
      await page.keyboard.press(s.key);
      return undefined;
    case "tabTo": {
      const frame = await frameOf(page);
      for (let presses = 1; presses <= (s.max ?? 40); presses += 1) {
        await page.keyboard.press("Tab");
        const name = await frame.evaluate(() => {
          const active = document.activeElement;
          return active ? (active.getAttribute("aria-label") || active.textContent || "").trim() : "";
        });
        if (name === s.name) return presses;
      }
      throw new Error(`Tab never reached ${s.name}`);
    }
    case "text":
      return (await tab.locator("body").innerText({ timeout })).trim();
    case "axe": {
      const frame = await frameOf(page);
      await frame.evaluate(`${axeSource}\n;0`); // through the debugger protocol: the page's CSP stays in force
      return frame.evaluate(async () => {
        const found = await window.axe.run(document, { resultTypes: ["violations"] });
        return found.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
          targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
      });
    }
    case "screenshot":
      mkdirSync(plan.screensDir, { recursive: true });
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(plan.screensDir, `${s.name}.png`) });
      return undefined;
    case "download": {
      const [download] = await Promise.all([
        page.waitForEvent("download", { timeout }),
        tab.getByRole(s.role, { name: s.name, exact: true }).first().click({ timeout }),
      ]);
      const path = await download.path();
      return { name: download.suggestedFilename(), text: readFileSync(path, "utf8") };
    }
    case "charts": {
      // Each statistics chart as Chart.js drew it (window.Chart from the served UMD build): what it was given and
      // how many bars it drew (a value hidden for k-anonymity is null and draws none).
      const frame = await frameOf(page);
      await tab.locator("canvas").first().waitFor({ timeout });
      return frame.evaluate(() =>
        [...document.querySelectorAll("canvas")].map((canvas) => {
          const chart = window.Chart.getChart(canvas);
          return {
            table: canvas.dataset.table,
            label: canvas.getAttribute("aria-label"),
            role: canvas.getAttribute("role"),
            labels: chart.data.labels,
            values: chart.data.datasets[0].data,
            colour: chart.data.datasets[0].backgroundColor,
            bars: chart.getDatasetMeta(0).data.filter((bar) => !bar.skip && bar.height > 0).length,
            width: canvas.width,
          };
        }),
      );
    }
    case "framed":
      try {
        await tab.locator("#title").waitFor({ timeout: s.waitMs ?? 4000 });
        return true;
      } catch {
        return false;
      }
    default:
      throw new Error(`unknown step ${s.do}`);
  }
}

const browser = await chromium.launch({ executablePath: plan.chromium, args: LAUNCH_ARGS });
let failed = null;
try {
  for (const session of plan.sessions) {
    const record = { steps: [], csp: [], api: [], setCookie: 0 };
    result.sessions[session.name] = record;
    const context = await browser.newContext({ viewport: session.viewport ?? { width: 1280, height: 800 } });
    await context.addInitScript(() => {
      window.__csp = [];
      document.addEventListener("securitypolicyviolation", (e) =>
        window.__csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile }),
      );
    });
    await context.route("**/*", async (route) => {
      const url = new URL(route.request().url());
      if (url.origin === session.hostOrigin && url.pathname === "/host") {
        return route.fulfill({ status: 200, contentType: "text/html", body: hostPage(session) });
      }
      if (url.origin === plan.tabOrigin) {
        const response = await route.fetch({ url: `${plan.botUrl}${url.pathname}${url.search}`, maxRedirects: 0 });
        if (url.pathname.startsWith("/api/")) record.api.push({ path: url.pathname, status: response.status() });
        if (response.headers()["set-cookie"]) record.setCookie += 1;
        return route.fulfill({ response });
      }
      return route.abort();
    });
    const page = await context.newPage();
    page.on("console", (m) => m.type() === "error" && (record.console ??= []).push(m.text().slice(0, 300)));
    await page.goto(`${session.hostOrigin}/host`);
    for (const [index, s] of session.steps.entries()) {
      const started = Date.now();
      try {
        const value = await step(page, s, record);
        record.steps.push({ index, do: s.do, ms: Date.now() - started, value });
      } catch (error) {
        failed = { session: session.name, index, step: s, error: String(error).slice(0, 2000) };
        try {
          record.failureText = (await tabFrame(page).locator("body").innerText({ timeout: 2000 })).slice(0, 3000);
        } catch {}
        break;
      }
    }
    const frame = page.frames().find((f) => f.url().startsWith(`${plan.tabOrigin}/`));
    if (frame) record.csp = await frame.evaluate(() => window.__csp || []).catch(() => []);
    const host = await page.evaluate(() => window.__host).catch(() => null);
    record.hostCalls = host?.calls ?? [];
    record.deepLinks = host?.deepLinks ?? [];
    record.cookies = (await context.cookies()).length;
    await context.close();
    if (failed) break;
  }
  result.ok = failed === null;
  if (failed) Object.assign(result, { error: failed.error, failedStep: failed });
} finally {
  await browser.close();
  writeFileSync(resultPath, JSON.stringify(result, null, 2));
}
