// The Overblik tab's views, drawn from the API's JSON with text nodes only: the leader's cases (duties done, due,
// overdue; the next follow-up), one case with its facts and a Teams deep link to the chat, HR's register (filter,
// sort, page; break the glass with a written reason where the case did not reach the viewer), a case's access log
// for HR (and HR's form to give the case to another leader: reassign.js), and the statistics (suppressed counts
// shown as "<k", a bar chart over each table: charts.js, CSV download).

import { COLUMN_LABELS, drawCharts } from "/tab/static/charts.js";
import { el, format, replace } from "/tab/static/dom.js";
import { reassignForm } from "/tab/static/reassign.js";

const DUTIES = [
  "acknowledge",
  "first_aid",
  "colleagues",
  "safetynet",
  "easy",
  "police",
  "restrictions",
  "work_environment",
];

function when(ui, iso, withTime = true) {
  if (!iso) return ui.texts.tab.none;
  const options = withTime ? { dateStyle: "medium", timeStyle: "short" } : { dateStyle: "medium" };
  const locale = ui.language === "en" ? "en-GB" : "da-DK";
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: "Europe/Copenhagen" }).format(new Date(iso));
}

const statusText = (ui, status) => ui.texts.tab[`status_${status}`] || status;

function escalatedText(ui, to) {
  return to ? ui.texts.tab[`escalated_${to}`] || to : ui.texts.tab.none;
}

function duties(ui, states) {
  const t = ui.texts.tab;
  const shown = DUTIES.filter((duty) => states[duty]);
  return el(
    "ul",
    { class: "duties", "aria-label": t.duties },
    shown.map((duty) =>
      el(
        "li",
        { class: `duty ${states[duty]}` },
        el("span", { class: "mark", "aria-hidden": "true" }, { done: "✓", overdue: "!", due: "•", open: "○" }[states[duty]]),
        `${t[`duty_${duty}`]}: ${t[`state_${states[duty]}`]}`,
      ),
    ),
  );
}

// Sent to the arbejdsmiljøgruppe and handled by it: "Ikke sendt", "Sendt <dato>", "Sendt <dato> · behandlet <dato>".
function workEnvironmentState(ui, sentAt, handledAt) {
  const t = ui.texts.tab;
  if (!sentAt) return t.work_environment_not_sent;
  const sent = format(t.work_environment_sent, { date: when(ui, sentAt, false) });
  return handledAt ? `${sent} · ${format(t.work_environment_handled, { date: when(ui, handledAt, false) })}` : sent;
}

// The group's analysis as the leader reads it (the case's own view; the group records it in work_environment.js).
function workEnvironmentAnalysis(ui, record) {
  if (!record?.handledAt) return null;
  const a = ui.texts.amg_tab;
  const plan = record.planChange ? format(a.plan_change_decided, { text: record.planChangeText || "" }) : a.plan_no_change;
  return [
    el("h3", {}, ui.texts.tab.work_environment_analysis),
    el(
      "dl",
      { class: "facts" },
      fact(a.analysis_causes, record.causes || ui.texts.tab.none),
      fact(a.analysis_measures, record.measures || ui.texts.tab.none),
      fact(a.analysis_plan, plan),
    ),
  ];
}

function intro(ui, text) {
  return [ui.signedIn ? el("p", { class: "signed-in" }, ui.signedIn) : null, el("p", { class: "intro" }, text)];
}

// The leader's list: open cases and those closed in the last year, newest first, a page at a time ("Vis ældre"
// adds the next page below and moves the focus to its first case).
export async function leaderView(ui, { openCase }) {
  const t = ui.texts.tab;
  const first = await ui.calls.leader();
  const back = () => leaderView(ui, { openCase }).then(() => ui.main.focus({ preventScroll: true }));
  const item = (row) =>
    el(
      "li",
      { class: `case${row.overdue ? " overdue" : ""}` },
      el(
        "h3",
        {},
        el(
          "button",
          { type: "button", class: "link", onclick: () => openCase(row.caseId, back), "aria-label": format(t.open_case, row) },
          row.reference,
        ),
      ),
      el(
        "dl",
        { class: "facts" },
        fact(t.unit, row.unit),
        fact(t.reported, when(ui, row.reportedAt)),
        fact(t.status, statusText(ui, row.status)),
        fact(t.next_follow_up, when(ui, row.nextFollowUp)),
        fact(t.escalated_to, escalatedText(ui, row.escalatedTo)),
        fact(t.duty_work_environment, workEnvironmentState(ui, row.workEnvironmentSentAt, row.workEnvironmentHandledAt)),
      ),
      duties(ui, row.duties),
    );
  const list = el("ul", { class: "cases" }, first.cases.map(item));
  let page = first.page;
  const older = el("button", { type: "button", class: "older", hidden: !first.more }, t.leader_older);
  older.onclick = async () => {
    older.disabled = true;
    const next = await ui.calls.leader(`?page=${page + 1}`);
    page = next.page;
    const added = next.cases.map(item);
    added.forEach((li) => list.append(li));
    older.hidden = !next.more;
    older.disabled = false;
    added[0]?.querySelector("button")?.focus();
  };
  replace(
    ui.main,
    el(
      "section",
      { "aria-labelledby": "view-title" },
      el("h2", { id: "view-title" }, t.view_leader),
      intro(ui, t.leader_intro),
      first.cases.length ? [list, older] : el("p", { class: "empty" }, t.leader_empty),
    ),
  );
}

function fact(term, value) {
  return el("div", {}, el("dt", {}, term), el("dd", {}, value));
}

export function caseView(ui, opened, back) {
  const t = ui.texts.tab;
  const label = (section, value) => (value ? ui.texts[section]?.[value] || value : t.none);
  const chat = opened.chatLink
    ? el(
        "p",
        {},
        el(
          "a",
          {
            class: "action",
            href: opened.chatLink,
            target: "_blank",
            rel: "noopener",
            onclick: (event) => {
              event.preventDefault();
              ui.openLink(opened.chatLink);
            },
          },
          t.chat_link,
        ),
        el("span", { class: "hint" }, " ", t.chat_link_hint),
      )
    : null;
  replace(
    ui.main,
    el(
      "article",
      { "aria-labelledby": "case-title", class: "case-detail" },
      el("fluent-button", { role: "button", onclick: back }, t.back),
      el("h2", { id: "case-title" }, format(t.case_title, opened)),
      el(
        "dl",
        { class: "facts" },
        fact(t.status, statusText(ui, opened.status)),
        fact(t.unit, opened.unit),
        fact(t.employee, opened.employee),
        fact(t.leader, opened.leader || t.none),
        fact(t.deputy, opened.deputy || t.none),
        fact(t.reported, when(ui, opened.reportedAt)),
        fact(t.occurred, when(ui, opened.occurredAt)),
        fact(t.urgent, opened.urgent ? t.yes : t.no),
        fact(t.kinds, opened.kinds.length ? opened.kinds.map((kind) => label("kinds", kind)).join(", ") : t.none),
        fact(t.channel, label("channel", opened.channel)),
        fact(t.offender_relation, label("offender", opened.offenderRelation)),
        fact(t.evidence_count, String(opened.evidenceCount)),
        fact(t.acknowledged, when(ui, opened.acknowledgedAt)),
        fact(t.escalated_to, escalatedText(ui, opened.escalatedTo)),
        fact(
          t.duty_work_environment,
          workEnvironmentState(ui, opened.workEnvironment?.sentAt, opened.workEnvironment?.handledAt),
        ),
      ),
      el("h3", {}, t.description),
      el("p", { class: "description" }, opened.description || t.none),
      workEnvironmentAnalysis(ui, opened.workEnvironment),
      chat,
      opened.mayReassign ? reassignForm(ui, opened, back) : null,
      opened.accessLog ? accessLog(ui, opened.accessLog) : null,
    ),
  );
  if (opened.glassUntil) {
    const notice = el("p", { class: "glass-notice", role: "note" }, format(t.glass_until, { until: when(ui, opened.glassUntil) }));
    ui.main.querySelector("h2").after(notice);
  }
}

function accessLog(ui, events) {
  const t = ui.texts.tab;
  const rows = events.map((event) =>
    el(
      "tr",
      {},
      el("td", {}, when(ui, event.at)),
      el("td", {}, event.name || t.none),
      el("td", {}, t[`access_role_${event.role}`] || event.role),
      el("td", {}, t[`access_action_${event.action}`] || event.action),
      el("td", { class: "detail" }, event.detail),
    ),
  );
  const columns = [t.access_when, t.access_who, t.access_role, t.access_action, t.access_detail];
  return el(
    "section",
    { class: "access-log", "aria-labelledby": "access-log-title" },
    el("h3", { id: "access-log-title" }, t.access_log),
    el(
      "div",
      { class: "scroll", tabindex: "0", role: "region", "aria-label": format(t.table_scroll, { name: t.access_log }) },
      el(
        "table",
        {},
        el("thead", {}, el("tr", {}, columns.map((column) => el("th", { scope: "col" }, column)))),
        el("tbody", {}, rows),
      ),
    ),
  );
}

// HR opens a case that did not reach their function: a written reason first (the API refuses without one); the
// leader is told and it is logged. `opened` draws the case, `failed` a refusal or an error.
export function breakTheGlassView(ui, row, opened, back, failed) {
  const t = ui.texts.tab;
  const problem = el("p", { id: "glass-problem", class: "problem", role: "alert", hidden: true }, t.glass_missing_reason);
  const reason = el("textarea", {
    id: "glass-reason",
    name: "reason",
    required: true,
    minlength: 10,
    maxlength: 1000,
    rows: 4,
    "aria-describedby": "glass-help glass-problem",
  });
  const form = el(
    "form",
    {
      class: "break-the-glass",
      onsubmit: async (event) => {
        event.preventDefault();
        problem.hidden = true;
        try {
          const answer = await ui.calls.breakTheGlass(row.caseId, reason.value);
          if (answer.problem || answer.ownCase) {
            problem.textContent = answer.ownCase ? t.glass_own_case : t.glass_missing_reason;
            problem.hidden = false;
            reason.focus();
            return;
          }
          opened(answer.case);
        } catch (error) {
          failed(error);
        }
      },
    },
    el("label", { for: "glass-reason" }, t.glass_reason),
    reason,
    problem,
    el(
      "div",
      { class: "buttons" },
      el("button", { type: "submit", class: "primary" }, t.glass_submit),
      el("button", { type: "button", onclick: back }, t.cancel),
    ),
  );
  replace(
    ui.main,
    el(
      "section",
      { "aria-labelledby": "glass-title" },
      el("h2", { id: "glass-title" }, format(t.glass_title, row)),
      el("p", { id: "glass-help", class: "intro" }, t.glass_intro),
      form,
    ),
  );
  reason.focus();
}

const SORTS = [
  ["reference", "reference"],
  ["unit", "unit"],
  ["reported", "reported"],
  ["status", "status"],
];

export async function registerView(
  ui,
  { openCase, breakTheGlass },
  state = { sort: "reported", order: "desc", page: 1, filter: {} },
) {
  const t = ui.texts.tab;
  const query = new URLSearchParams({ sort: state.sort, order: state.order, page: String(state.page) });
  for (const [name, value] of Object.entries(state.filter)) if (value) query.set(name, value);
  const page = await ui.calls.register(`?${query}`);
  const again = (changes) => registerView(ui, { openCase, breakTheGlass }, { ...state, ...changes });
  const back = () => again({}).then(() => ui.main.focus({ preventScroll: true }));

  const input = (name, labelText, type = "text") =>
    el(
      "label",
      {},
      el("span", {}, labelText),
      el("input", { name, type, value: state.filter[name] || "", ...(type === "text" ? { maxlength: 40 } : {}) }),
    );
  const status = el(
    "select",
    { name: "status" },
    ["", "reported", "acknowledged", "closed"].map((value) =>
      el("option", { value, selected: state.filter.status === value }, value ? statusText(ui, value) : t.filter_any),
    ),
  );
  const check = (name, labelText) =>
    el("label", { class: "check" }, el("input", { type: "checkbox", name, checked: state.filter[name] === "true" }), labelText);
  const form = el(
    "form",
    {
      class: "filters",
      "aria-label": t.filters,
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(event.target);
        const filter = {};
        for (const name of ["reference", "unit", "status", "from", "to"]) filter[name] = String(data.get(name) || "").trim();
        for (const name of ["overdue", "escalated"]) filter[name] = data.get(name) ? "true" : "";
        again({ filter, page: 1 });
      },
    },
    input("reference", t.filter_reference),
    input("unit", t.filter_unit),
    el("label", {}, el("span", {}, t.filter_status), status),
    input("from", t.filter_from, "date"),
    input("to", t.filter_to, "date"),
    check("overdue", t.filter_overdue),
    check("escalated", t.filter_escalated),
    el(
      "div",
      { class: "buttons" },
      el("button", { type: "submit", class: "primary" }, t.apply),
      el("button", { type: "button", onclick: () => again({ filter: {}, page: 1 }) }, t.clear),
    ),
  );

  const header = ([key, column]) => {
    const active = state.sort === key;
    return el(
      "th",
      { scope: "col", "aria-sort": active ? (state.order === "asc" ? "ascending" : "descending") : "none" },
      el(
        "button",
        {
          type: "button",
          class: "sort",
          "aria-label": format(t.sort_by, { column: t[column] }),
          onclick: () => again({ sort: key, order: active && state.order === "asc" ? "desc" : "asc", page: 1 }),
        },
        t[column],
        el("span", { "aria-hidden": "true" }, active ? (state.order === "asc" ? " ▲" : " ▼") : ""),
      ),
    );
  };
  const rows = page.cases.map((row) =>
    el(
      "tr",
      { class: row.overdue ? "overdue" : "" },
      el(
        "th",
        { scope: "row" },
        row.mayOpen
          ? el(
              "button",
              { type: "button", class: "link", onclick: () => openCase(row.caseId, back), "aria-label": format(t.open_case, row) },
              row.reference,
            )
          : el(
              "span",
              {},
              el("span", { title: t.may_open_no }, row.reference),
              row.mayBreakTheGlass
                ? el(
                    "button",
                    {
                      type: "button",
                      class: "link glass",
                      onclick: () => breakTheGlass(row, back),
                      "aria-label": format(t.glass_for, row),
                    },
                    t.glass_button,
                  )
                : null,
            ),
      ),
      el("td", {}, row.unit),
      el("td", {}, when(ui, row.reportedAt, false)),
      el("td", {}, statusText(ui, row.status)),
      el("td", {}, duties(ui, Object.fromEntries(Object.entries(row.duties).filter(([, s]) => s === "overdue")))),
      el("td", {}, escalatedText(ui, row.escalatedTo)),
    ),
  );
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  const table = el(
    "div",
    { class: "scroll", tabindex: "0", role: "region", "aria-label": format(t.table_scroll, { name: t.view_register }) },
    el(
      "table",
      {},
      el(
        "thead",
        {},
        el("tr", {}, SORTS.map(header), el("th", { scope: "col" }, t.overdue_label), el("th", { scope: "col" }, t.escalated_to)),
      ),
      el("tbody", {}, rows),
    ),
  );
  replace(
    ui.main,
    el(
      "section",
      { "aria-labelledby": "view-title" },
      el("h2", { id: "view-title" }, t.view_register),
      intro(ui, t.register_intro),
      form,
      page.cases.length ? table : el("p", { class: "empty" }, t.register_empty),
      el(
        "nav",
        { class: "pager", "aria-label": format(t.page_of, { page: page.page, pages, total: page.total }) },
        el("button", { type: "button", disabled: page.page <= 1, onclick: () => again({ page: page.page - 1 }) }, t.previous),
        el("span", { "aria-live": "polite" }, format(t.page_of, { page: page.page, pages, total: page.total })),
        el("button", { type: "button", disabled: page.page >= pages, onclick: () => again({ page: page.page + 1 }) }, t.next),
      ),
    ),
  );
}

function statisticsTable(ui, stats, table) {
  const t = ui.texts.tab;
  const title = t[`table_${table.name}`] || table.name;
  const suppressed = format(t.suppressed, { k: stats.k });
  const count = (value) =>
    value === null ? el("abbr", { title: suppressed, class: "suppressed" }, `<${stats.k}`) : String(value);
  const columnLabel = (column) => ui.texts[COLUMN_LABELS[table.name]]?.[column] || column.replaceAll("_", " ");
  const id = `stat-${table.name}`;
  return el(
    "section",
    { class: "statistic", "aria-labelledby": id },
    el("h3", { id }, title),
    el(
      "div",
      { class: "scroll", tabindex: "0", role: "region", "aria-label": format(t.table_scroll, { name: title }) },
      el(
        "table",
        {},
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            el("th", { scope: "col" }, t.unit),
            table.columns.map((column) => el("th", { scope: "col" }, columnLabel(column))),
            table.rowTotals ? el("th", { scope: "col" }, t.total) : null,
          ),
        ),
        el(
          "tbody",
          {},
          table.rows.map((unit, index) =>
            el(
              "tr",
              {},
              el("th", { scope: "row" }, stats.units[unit] || unit),
              table.cells[index].map((value) => el("td", {}, count(value))),
              table.rowTotals ? el("td", {}, count(table.rowTotals[index])) : null,
            ),
          ),
        ),
        el(
          "tfoot",
          {},
          el(
            "tr",
            {},
            el("th", { scope: "row" }, t.total),
            table.columnTotals.map((value) => el("td", {}, count(value))),
            table.rowTotals ? el("td", {}, count(table.total)) : null,
          ),
        ),
      ),
    ),
  );
}

export async function statisticsView(ui, _actions, period = "month") {
  const t = ui.texts.tab;
  const stats = await ui.calls.statistics(`?period=${period}`);
  const choose = el(
    "select",
    { id: "period", onchange: (event) => statisticsView(ui, _actions, event.target.value) },
    ["month", "quarter"].map((value) => el("option", { value, selected: value === period }, t[`period_${value}`])),
  );
  const download = async () => {
    const blob = await ui.calls.statisticsCsv(`?period=${period}`);
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: "vaern-statistik.csv", hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  };
  const medians = stats.medianHoursToAcknowledge;
  const medianTable = el(
    "section",
    { class: "statistic", "aria-labelledby": "stat-median" },
    el("h3", { id: "stat-median" }, t.median_title),
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t.unit), el("th", { scope: "col" }, t.median_hours))),
      el(
        "tbody",
        {},
        medians.map((median) =>
          el(
            "tr",
            {},
            el("th", { scope: "row" }, stats.units[median.unitId] || median.unitId),
            el(
              "td",
              {},
              median.hours === null
                ? el("abbr", { title: format(t.suppressed, { k: stats.k }), class: "suppressed" }, `<${stats.k}`)
                : String(median.hours),
            ),
          ),
        ),
      ),
    ),
  );
  replace(
    ui.main,
    el(
      "section",
      { "aria-labelledby": "view-title" },
      el("h2", { id: "view-title" }, t.view_statistics),
      intro(ui, format(t.statistics_intro, { k: stats.k })),
      el(
        "div",
        { class: "toolbar" },
        el("label", { for: "period" }, t.period),
        choose,
        el("fluent-button", { role: "button", appearance: "primary", onclick: download }, t.download_csv),
      ),
      Object.keys(stats.units).length
        ? [stats.tables.map((table) => statisticsTable(ui, stats, table)), medianTable]
        : el("p", { class: "empty" }, t.statistics_empty),
    ),
  );
  await drawCharts(ui, stats);
}
