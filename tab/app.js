// The Overblik tab: joins Teams (locale, theme, SSO token), asks the bot's API who the user is and shows the views
// they may see: a leader's cases, HR's register (break the glass with a written reason; give a case to another
// leader), the statistics, for HR's legal function data subject requests (tab/subject_requests.js, which also
// adds rectifications to a case), and the arbejdsmiljøgruppe's cases with its analysis (tab/work_environment.js).
// Every call carries the Teams SSO token; the API
// decides (401 for a token it refuses, 403 for a view that is not theirs). No cookies, no storage in the browser.

import { setTheme } from "/tab/lib/fluent/web-components.min.js";
import { teamsDarkTheme, teamsHighContrastTheme, teamsLightTheme } from "/tab/lib/fluent-tokens/index.js";
import { el, format, replace } from "/tab/static/dom.js";
import { NotInTeams, connect, loaded, onThemeChange, openLink, token } from "/tab/static/teams.js";
import { addRectifications, subjectRequestView } from "/tab/static/subject_requests.js";
import { breakTheGlassView, caseView, leaderView, registerView, statisticsView } from "/tab/static/views.js";
import { workEnvironmentView } from "/tab/static/work_environment.js";

const THEMES = { default: teamsLightTheme, dark: teamsDarkTheme, contrast: teamsHighContrastTheme };

export class Unauthorized extends Error {}
export class Forbidden extends Error {}

function applyTheme(name) {
  const theme = THEMES[name] ? name : "default";
  setTheme(THEMES[theme]);
  document.documentElement.dataset.theme = theme;
}

async function loadTexts(language) {
  const response = await fetch(`/tab/texts/${language}.json`, { credentials: "omit" });
  if (!response.ok) throw new Error(`texts: ${response.status}`);
  return response.json();
}

function api(path, accept = "application/json") {
  return async (query = "") => {
    let bearer;
    try {
      bearer = await token();
    } catch (error) {
      throw new Unauthorized(String(error));
    }
    const response = await fetch(`/api/overview/${path}${query}`, {
      headers: { Authorization: `Bearer ${bearer}`, Accept: accept },
      credentials: "omit",
      cache: "no-store",
    });
    if (response.status === 401) throw new Unauthorized("401");
    if (response.status === 403 || response.status === 404) throw new Forbidden(String(response.status));
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return accept === "application/json" ? response.json() : response.blob();
  };
}

// The arbejdsmiljøgruppe's analysis: POST it; a 400 (with the field to fix) or a 409 (handled already) comes back as
// { problem, field } for the form to show.
async function recordAnalysis(caseId, body) {
  let bearer;
  try {
    bearer = await token();
  } catch (error) {
    throw new Unauthorized(String(error));
  }
  const response = await fetch(`/api/overview/work-environment/${encodeURIComponent(caseId)}/analysis`, {
    method: "POST",
    headers: { Authorization: `Bearer ${bearer}`, Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  if (response.status === 400) return { problem: "invalid", field: (await response.json()).field };
  if (response.status === 409) return { problem: "conflict" };
  if (response.status === 401) throw new Unauthorized("401");
  if (response.status === 403 || response.status === 404) throw new Forbidden(String(response.status));
  if (!response.ok) throw new Error(`analysis: ${response.status}`);
  return response.json();
}

// Break the glass: POST the written reason; a 400 (no reason) comes back as { problem } and a 403 for the viewer's
// own case (they are its employee or reported it) as { ownCase } for the form to show.
async function breakTheGlass(caseId, reason) {
  let bearer;
  try {
    bearer = await token();
  } catch (error) {
    throw new Unauthorized(String(error));
  }
  const response = await fetch(`/api/overview/cases/${encodeURIComponent(caseId)}/break-the-glass`, {
    method: "POST",
    headers: { Authorization: `Bearer ${bearer}`, Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify({ reason }),
    credentials: "omit",
    cache: "no-store",
  });
  if (response.status === 400) return { problem: true };
  if (response.status === 401) throw new Unauthorized("401");
  if (response.status === 403 && (await response.clone().json().catch(() => ({}))).error === "own_case") {
    return { ownCase: true };
  }
  if (response.status === 403 || response.status === 404) throw new Forbidden(String(response.status));
  if (!response.ok) throw new Error(`break-the-glass: ${response.status}`);
  return response.json();
}

// POST a JSON body with the SSO token: 401 and 403/404 as errors the views know, any status in `accepted` returned.
async function send(path, body, accepted) {
  let bearer;
  try {
    bearer = await token();
  } catch (error) {
    throw new Unauthorized(String(error));
  }
  const response = await fetch(`/api/overview/${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${bearer}`, Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  if (response.status === 401) throw new Unauthorized("401");
  if (response.status === 403 || response.status === 404) throw new Forbidden(String(response.status));
  if (!accepted.includes(response.status)) throw new Error(`${path}: ${response.status}`);
  return response;
}

// HR gives a case to another leader: 200 with the case, or 400/422 (a problem, the candidates) for the form to show.
async function reassign(caseId, body) {
  const response = await send(`cases/${encodeURIComponent(caseId)}/reassign`, body, [200, 400, 409, 422]);
  return { status: response.status, body: await response.json() };
}

// POST a JSON body; the response itself for a success, a 400 or a 409 (the caller reads it), else an error.
async function post(path, body) {
  return send(path, body, [200, 201, 202, 204, 400, 409]);
}

const main = () => document.getElementById("main");

function message(texts, title, body, retry) {
  replace(
    main(),
    el(
      "section",
      { class: "message", "aria-labelledby": "message-title" },
      el("h2", { id: "message-title" }, title),
      el("p", {}, body),
      el("p", {}, texts.tab.crisis),
      retry ? el("fluent-button", { role: "button", appearance: "primary", onclick: retry }, texts.tab.retry) : null,
    ),
  );
  main().focus({ preventScroll: true });
}

function failure(texts, error, retry) {
  const t = texts.tab;
  if (error instanceof Unauthorized) return message(texts, t.unauthorized_title, t.unauthorized_body, retry);
  if (error instanceof Forbidden) return message(texts, t.not_allowed_title, t.not_allowed_body);
  console.error(error);
  return message(texts, t.error_title, t.error_body, retry);
}

function setLanguage(texts, language) {
  document.documentElement.lang = language;
  document.title = texts.tab.title;
  document.getElementById("title").textContent = texts.tab.title;
  document.getElementById("crisis").textContent = texts.tab.crisis;
  const privacy = document.getElementById("privacy");
  privacy.textContent = texts.tab.privacy;
  privacy.href = `/privacy?lang=${language === "en" ? "en" : "da"}`;
}

async function start() {
  let texts = await loadTexts("da");
  let context;
  try {
    context = await connect();
  } catch (error) {
    if (error instanceof NotInTeams) return message(texts, texts.tab.title, texts.tab.outside_teams);
    throw error;
  }
  applyTheme(context.theme);
  onThemeChange(applyTheme);
  const language = context.locale.toLowerCase().startsWith("en") ? "en" : "da";
  if (language !== "da") texts = await loadTexts(language);
  setLanguage(texts, language);

  const calls = {
    me: api("me"),
    leader: api("leader"),
    register: api("register"),
    openCase: (caseId) => api(`cases/${encodeURIComponent(caseId)}`)(),
    breakTheGlass,
    reassign,
    statistics: api("statistics"),
    statisticsCsv: api("statistics.csv", "text/csv"),
    post,
    workEnvironment: api("work-environment"),
    recordAnalysis,
  };
  const ui = { texts, language, openLink, main: main(), calls, showCase };

  let me;
  try {
    me = await calls.me();
  } catch (error) {
    loaded();
    return failure(texts, error, () => location.reload());
  }
  loaded();
  const views = [];
  if (me.units.length) views.push(["leader", texts.tab.view_leader, leaderView]);
  if (me.isHr) views.push(["register", texts.tab.view_register, registerView]);
  if (me.isHr || me.units.length) views.push(["statistics", texts.tab.view_statistics, statisticsView]);
  if (me.isHr && me.hrFunction === "jura") {
    const subjectRequests = async () => subjectRequestView(ui, (error) => failure(texts, error, () => show("subject_requests")));
    views.push(["subject_requests", texts.subject_requests.view, subjectRequests]);
  }
  if (me.workEnvironmentUnits?.length) views.push(["work-environment", texts.amg_tab.view, workEnvironmentView]);
  if (!views.length) return message(texts, texts.tab.not_allowed_title, texts.tab.not_allowed_body);

  const nav = document.getElementById("views");
  nav.setAttribute("aria-label", texts.tab.nav_label);
  const buttons = views.map(([name, label]) =>
    el("button", { type: "button", class: "view", dataset: { view: name }, onclick: () => show(name) }, label),
  );
  replace(nav, el("ul", {}, buttons.map((button) => el("li", {}, button))));
  nav.hidden = false;

  async function show(name, focus = true) {
    for (const button of buttons) {
      if (button.dataset.view === name) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
    const [, , render] = views.find(([view]) => view === name);
    replace(main(), el("p", { role: "status" }, texts.tab.loading));
    try {
      await render(ui, {
        openCase: (caseId, back) => showCase(caseId, back),
        breakTheGlass: (row, back) => showBreakTheGlass(row, back),
      });
    } catch (error) {
      failure(texts, error, () => show(name));
    }
    window.scrollTo(0, 0);
    if (focus) main().focus({ preventScroll: true });
  }

  async function showCase(caseId, back) {
    try {
      const { case: opened } = await calls.openCase(caseId);
      caseView(ui, opened, back);
      addRectifications(ui, opened, (error) => failure(texts, error, back));
    } catch (error) {
      failure(texts, error, back);
    }
    window.scrollTo(0, 0);
    main().focus({ preventScroll: true });
  }

  function showBreakTheGlass(row, back) {
    const opened = (caseOpened) => {
      caseView(ui, caseOpened, back);
      addRectifications(ui, caseOpened, (error) => failure(texts, error, back));
      window.scrollTo(0, 0);
      main().focus({ preventScroll: true });
    };
    breakTheGlassView(ui, row, opened, back, (error) => failure(texts, error, back));
    window.scrollTo(0, 0);
  }

  const name = me.name || context.userName;
  ui.signedIn = name ? format(texts.tab.signed_in_as, { name }) : null;
  await show(views[0][0], false);
}

start().catch((error) => {
  console.error(error);
  replace(main(), el("p", { role: "alert" }, "Værn: ", String(error.message || error)));
});
