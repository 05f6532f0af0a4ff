// The Overblik tab's view for the arbejdsmiljøgruppe: the cases of their units that leadership sent to the group,
// each as its anonymised summary (no names, no description, no evidence) with the group's analysis, or a form to
// record it (causes, measures, whether the beredskabsplan must change and what). Saving marks the case handled; the
// API answers 400 with the field to fix and 409 when the group already handled it. Text nodes only.

import { el, format, replace } from "/tab/static/dom.js";

function day(ui, iso) {
  if (!iso) return "";
  const locale = ui.language === "en" ? "en-GB" : "da-DK";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "Europe/Copenhagen" }).format(new Date(iso));
}

function fact(term, value) {
  return el("div", {}, el("dt", {}, term), el("dd", {}, value));
}

function summaryFacts(ui, row) {
  const a = ui.texts.amg_tab;
  const s = row.summary;
  const label = (section, value) => ui.texts[section]?.[value] || value;
  const context = s.duringWorkHours === null ? a.not_given : s.duringWorkHours ? a.during_work : a.outside_work;
  return el(
    "dl",
    { class: "facts" },
    fact(a.unit, row.unit),
    fact(a.sent, day(ui, row.sentAt)),
    fact(a.month, s.month),
    fact(a.kinds, s.kinds.length ? s.kinds.map((kind) => label("kinds", kind)).join(", ") : a.not_given),
    fact(a.channel, s.channel ? label("channel", s.channel) : a.not_given),
    fact(a.context, context),
    fact(a.colleagues, s.colleaguesTargeted ? a.yes : a.no),
    fact(a.done, s.done.length ? s.done.map((name) => a[`done_${name}`] || name).join(", ") : a.not_given),
  );
}

function analysisFacts(ui, analysis) {
  const a = ui.texts.amg_tab;
  return el(
    "dl",
    { class: "facts analysis" },
    fact(a.analysis_causes, analysis.causes),
    fact(a.analysis_measures, analysis.measures),
    fact(a.analysis_plan, analysis.planChange ? format(a.plan_change_decided, { text: analysis.planChangeText }) : a.plan_no_change),
  );
}

// A labelled control with its own problem line (returned, so the form can show what to fix under the field).
function field(id, label, control) {
  const problem = el("p", { id: `${id}-problem`, class: "problem", role: "alert", hidden: true });
  control.setAttribute("aria-describedby", problem.id);
  return [el("div", { class: "field" }, el("label", { for: id }, label), control, problem), problem];
}

function analysisForm(ui, row, saved) {
  const a = ui.texts.amg_tab;
  const id = (name) => `amg-${name}-${row.caseId}`;
  const causes = el("textarea", { id: id("causes"), name: "causes", required: true, maxlength: 2000, rows: 4 });
  const measures = el("textarea", { id: id("measures"), name: "measures", required: true, maxlength: 2000, rows: 4 });
  const change = el("input", { type: "checkbox", id: id("plan-change"), name: "planChange" });
  const changeText = el("textarea", { id: id("plan-change-text"), name: "planChangeText", maxlength: 2000, rows: 3 });
  const [causesField, causesProblem] = field(id("causes"), a.causes, causes);
  const [measuresField, measuresProblem] = field(id("measures"), a.measures, measures);
  const [changeField, changeProblem] = field(id("plan-change-text"), a.plan_change_text, changeText);
  changeField.hidden = true;
  change.addEventListener("change", () => {
    changeField.hidden = !change.checked;
    changeText.required = change.checked;
  });
  const general = el("p", { class: "problem", role: "alert", hidden: true });
  const controls = { causes, measures, planChange: change, planChangeText: changeText };
  const problems = { causes: causesProblem, measures: measuresProblem, planChangeText: changeProblem };
  const show = (name, text) => {
    const problem = problems[name] || general;
    problem.textContent = text;
    problem.hidden = false;
    (controls[name] || form.querySelector("button"))?.focus();
  };
  const form = el(
    "form",
    {
      class: "amg-analysis",
      "aria-labelledby": id("title"),
      onsubmit: async (event) => {
        event.preventDefault();
        for (const problem of form.querySelectorAll(".problem")) problem.hidden = true;
        const body = { causes: causes.value, measures: measures.value, planChange: change.checked, planChangeText: change.checked ? changeText.value : "" };
        for (const name of ["causes", "measures", ...(change.checked ? ["planChangeText"] : [])]) {
          if (!body[name].trim()) return show(name, a.required);
        }
        const answer = await ui.calls.recordAnalysis(row.caseId, body);
        if (answer.problem === "conflict") return show("", a.already_handled);
        if (answer.problem) return show(answer.field || "", answer.field ? a.required : a.invalid);
        saved(answer.case);
      },
    },
    el("h4", { id: id("title") }, format(a.form_title, row)),
    causesField,
    measuresField,
    el("div", { class: "field checkbox" }, change, el("label", { for: id("plan-change") }, a.plan_change_yes)),
    changeField,
    general,
    el("div", { class: "buttons" }, el("button", { type: "submit", class: "primary" }, a.save)),
  );
  return form;
}

function caseItem(ui, row, rerender) {
  const a = ui.texts.amg_tab;
  const status = row.analysis
    ? format(a.handled, { date: day(ui, row.analysis.at), name: row.analysis.by })
    : a.waiting;
  return el(
    "li",
    { class: `case amg${row.analysis ? " handled" : ""}`, dataset: { caseId: row.caseId } },
    el("h3", {}, format(a.case_title, row)),
    el("p", { class: "status" }, `${a.status}: ${status}`),
    summaryFacts(ui, row),
    row.analysis ? analysisFacts(ui, row.analysis) : analysisForm(ui, row, (handled) => rerender(handled)),
  );
}

export async function workEnvironmentView(ui) {
  const a = ui.texts.amg_tab;
  const { cases } = await ui.calls.workEnvironment();
  const draw = (notice) => {
    replace(
      ui.main,
      el(
        "section",
        { "aria-labelledby": "amg-title" },
        el("h2", { id: "amg-title" }, a.view),
        ui.signedIn ? el("p", { class: "signed-in" }, ui.signedIn) : null,
        el("p", { class: "intro" }, a.intro),
        notice ? el("p", { class: "saved", role: "status" }, notice) : null,
        cases.length
          ? el("ul", { class: "cases" }, cases.map((row) => caseItem(ui, row, saved)))
          : el("p", {}, a.empty),
      ),
    );
  };
  const saved = (handled) => {
    const index = cases.findIndex((row) => row.caseId === handled.caseId);
    if (index >= 0) cases[index] = handled;
    draw(a.saved);
    ui.main.querySelector(".saved")?.focus?.();
  };
  draw(null);
}
