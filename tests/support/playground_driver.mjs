// Drives the Microsoft 365 Agents Playground's web UI with playwright-core and Debian's Chromium, as a person
// would: it types, clicks card buttons, ticks choices and takes screenshots. It knows the Playground's UI;
// what to do comes from the test (tests/e2e/test_playground.py) as a list of steps:
//
//   node tests/support/playground_driver.mjs plan.json result.json
//
// plan.json: {chromium, pages: {name: url}, screensDir, failureDir, stepTimeoutMs, steps: [{do, page, ...}]}
// result.json: {ok, steps: [{index, do, ms, value?}], error?, failedStep?, texts?: {page: [last messages]}}
//
// Steps (each acts on the named page; "card" means the newest Adaptive Card that has the named control):
//   open {page, viewport?, settle?}   load the Playground, close its log panel, wait for the message box and
//                                     (settle) for a text the bot sends when the app is installed
//   say {page, text, awaitReply?}     type a message and press Enter; awaitReply: as for click
//   waitText {page, text}             until the text is visible in the conversation (newest occurrence)
//   waitRegex {page, pattern}         until a text matching the regex is visible; value = the match
//   click {page, button, awaitReply?} click the button in the newest card that has it; awaitReply: wait for a
//                                     new message in the chat, value = the text of the newest card
//   tick {page, label, nth?}          tick a check box or radio button by its label (newest card that has it;
//                                     nth: the n-th control with that label in the card, e.g. the second "Nej")
//   fill {page, label | textbox, text} type into an input found by label, or the n-th text box of the newest card
//   select {page, label, option}      choose an option of a compact choice set
//   cardText {page, contains}         value = the text of the newest card that contains `contains`
//   countCards {page, contains}       value = how many cards contain the text
//   customActivity {page, activity}   Mock an Activity → Custom activity: send this activity JSON
//   screenshot {page, name, of?}      PNG into screensDir; `of` = a text: scroll the newest card with it into view
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [planPath, resultPath] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, "utf8"));
const stepTimeout = plan.stepTimeoutMs ?? 20000;
const result = { ok: false, steps: [] };
const LAUNCH_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];

function isLocal(url) {
  const { hostname, protocol } = new URL(url);
  return ["data:", "blob:"].includes(protocol) || hostname === "localhost" || hostname === "127.0.0.1";
}

const cards = (page) => page.locator(".ac-adaptiveCard");
const newestCardWith = (page, inner) => cards(page).filter({ has: inner }).last();
const button = (page, name) => page.getByRole("button", { name, exact: true });
const messages = (page) => page.locator('[aria-label="Message header"]');

async function open(context, pages, step) {
  const page = await context.newPage();
  if (step.viewport) await page.setViewportSize(step.viewport);
  // Offline and deterministic: the Playground asks a CDN for fonts and animations; nothing leaves the machine.
  await page.route("**/*", (route) => (isLocal(route.request().url()) ? route.continue() : route.abort()));
  await page.goto(plan.pages[step.page]);
  await page.locator("[data-lexical-editor=true]").first().waitFor({ timeout: stepTimeout });
  const hideLog = page.getByRole("button", { name: "Hide log panel" });
  if (await hideLog.count()) await hideLog.first().click();
  pages[step.page] = page;
  // The Playground installs the app on load; the bot's greeting must be in before a step counts replies.
  if (step.settle) await waitText(page, step.settle);
}

async function say(page, step) {
  const box = page.locator("[data-lexical-editor=true]").first();
  await box.click();
  const before = await messages(page).count();
  await page.keyboard.type(step.text);
  await page.keyboard.press("Enter");
  return step.awaitReply ? await newestReply(page, before + 1, step.text) : undefined;
}

// Wait until the chat holds more than `count` messages; then the text of the newest card.
async function newestReply(page, count, what) {
  const deadline = Date.now() + stepTimeout;
  while ((await messages(page).count()) <= count) {
    if (Date.now() > deadline) throw new Error(`no reply to ${JSON.stringify(what)} within ${stepTimeout} ms`);
    await page.waitForTimeout(100);
  }
  await page.waitForTimeout(300); // the rest of the reply
  return (await cards(page).last().innerText()).trim();
}

async function waitText(page, text) {
  const found = page.getByText(text, { exact: false }).last();
  await found.waitFor({ state: "visible", timeout: stepTimeout });
  return (await found.innerText()).trim();
}

async function waitRegex(page, pattern) {
  const regex = new RegExp(pattern);
  const found = page.getByText(regex).last();
  await found.waitFor({ state: "visible", timeout: stepTimeout });
  return (await found.innerText()).match(regex)[0];
}

async function clickButton(page, step) {
  const card = newestCardWith(page, button(page, step.button));
  await card.waitFor({ timeout: stepTimeout });
  const target = card.getByRole("button", { name: step.button, exact: true }).first();
  await target.scrollIntoViewIfNeeded();
  const before = await messages(page).count();
  await target.click();
  return step.awaitReply ? await newestReply(page, before, step.button) : undefined;
}

// The Playground's renderer names choices with aria-label but points aria-labelledby at more than the label, so
// a control is found by its aria-label, else by its label exactly, else by a label that contains the text.
// Only form controls count: a card button may carry the same name (the safety card's "Ja").
function byLabel(scope, label) {
  const controls = scope.locator("input, textarea, select");
  return [
    scope.locator(`:is(input, textarea, select)[aria-label=${JSON.stringify(label)}]`),
    scope.getByLabel(label, { exact: true }).and(controls),
    scope.getByLabel(label).and(controls),
  ];
}

async function controlInNewestCard(page, label, nth = 0) {
  const deadline = Date.now() + stepTimeout;
  for (;;) {
    for (const candidate of byLabel(page, label)) {
      if ((await candidate.count()) > 0) {
        return await present(byLabel(newestCardWith(page, candidate), label), nth);
      }
    }
    if (Date.now() > deadline) throw new Error(`no control labelled ${JSON.stringify(label)} within ${stepTimeout} ms`);
    await page.waitForTimeout(200);
  }
}

async function present(candidates, nth) {
  for (const candidate of candidates) if ((await candidate.count()) > nth) return candidate.nth(nth);
  throw new Error("the control went away");
}

async function tick(page, step) {
  const control = await controlInNewestCard(page, step.label, step.nth ?? 0);
  await control.scrollIntoViewIfNeeded();
  await control.check();
}

async function fill(page, step) {
  if (step.label !== undefined) {
    const control = await controlInNewestCard(page, step.label, step.nth ?? 0);
    await control.fill(step.text);
    return;
  }
  const boxes = cards(page).last().locator("textarea, input[type=text]");
  await boxes.nth(step.textbox ?? 0).waitFor({ timeout: stepTimeout });
  await boxes.nth(step.textbox ?? 0).fill(step.text);
}

async function select(page, step) {
  const control = await controlInNewestCard(page, step.label, step.nth ?? 0);
  await control.selectOption({ label: step.option });
}

async function cardText(page, contains) {
  const card = cards(page).filter({ hasText: contains }).last();
  await card.waitFor({ timeout: stepTimeout });
  return (await card.innerText()).trim();
}

async function customActivity(page, activity) {
  await page.getByRole("button", { name: "Mock an Activity" }).click();
  await page.getByRole("menuitem", { name: "Custom activity" }).click();
  const editor = page.locator(".monaco-editor").first();
  await editor.waitFor({ timeout: stepTimeout });
  await editor.click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(JSON.stringify(activity));
  await page.getByRole("button", { name: "Send activity" }).click();
  await page.getByRole("button", { name: "Send activity" }).waitFor({ state: "detached", timeout: stepTimeout });
}

async function screenshot(page, step) {
  if (step.of) {
    const card = cards(page).filter({ hasText: step.of }).last();
    await card.waitFor({ timeout: stepTimeout });
    await card.scrollIntoViewIfNeeded();
  }
  await page.waitForTimeout(300); // let the card finish laying out
  mkdirSync(plan.screensDir, { recursive: true });
  const path = join(plan.screensDir, `${step.name}.png`);
  await page.screenshot({ path });
  return path;
}

async function lastTexts(page) {
  const texts = await cards(page).evaluateAll((nodes) => nodes.slice(-3).map((n) => n.innerText));
  return texts.map((text) => text.slice(0, 2000));
}

async function run() {
  const browser = await chromium.launch({ executablePath: plan.chromium, args: LAUNCH_ARGS });
  const context = await browser.newContext({
    viewport: plan.viewport ?? { width: 1280, height: 900 },
    locale: "da-DK",
    timezoneId: "Europe/Copenhagen",
  });
  context.setDefaultTimeout(stepTimeout);
  const pages = {};
  try {
    for (const [index, step] of plan.steps.entries()) {
      const started = Date.now();
      const page = pages[step.page];
      if (step.do !== "open" && !page) throw new Error(`page ${step.page} is not open`);
      let value;
      switch (step.do) {
        case "open": await open(context, pages, step); break;
        case "say": value = await say(page, step); break;
        case "waitText": value = await waitText(page, step.text); break;
        case "waitRegex": value = await waitRegex(page, step.pattern); break;
        case "click": value = await clickButton(page, step); break;
        case "tick": await tick(page, step); break;
        case "fill": await fill(page, step); break;
        case "select": await select(page, step); break;
        case "cardText": value = await cardText(page, step.contains); break;
        case "countCards": value = await cards(page).filter({ hasText: step.contains }).count(); break;
        case "customActivity": await customActivity(page, step.activity); break;
        case "screenshot": value = await screenshot(page, step); break;
        default: throw new Error(`unknown step ${JSON.stringify(step)}`);
      }
      result.steps.push({ index, do: step.do, page: step.page, ms: Date.now() - started, value });
    }
    result.ok = true;
  } catch (error) {
    result.error = String(error?.stack ?? error);
    result.failedStep = plan.steps[result.steps.length];
    result.texts = {};
    mkdirSync(plan.failureDir, { recursive: true });
    for (const [name, page] of Object.entries(pages)) {
      try {
        await page.screenshot({ path: join(plan.failureDir, `failure-${name}.png`), fullPage: true });
        result.texts[name] = await lastTexts(page);
        writeFileSync(join(plan.failureDir, `failure-${name}.html`), await page.content());
      } catch (inner) {
        result.texts[name] = [`(could not read the page: ${inner})`];
      }
    }
  } finally {
    await browser.close();
    writeFileSync(resultPath, JSON.stringify(result, null, 2));
  }
}

await run();
