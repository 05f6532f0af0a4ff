// HR gives a case to another leader from the register's case view (POST /api/overview/cases/<id>/reassign, the
// card's action): the leader's name and a written reason. A name that means several people comes back with the
// directory's candidates, and HR chooses one (sent by object id with the same name; the server looks it up again);
// a name that means nobody, or another problem, is said in plain words next to the form. Shown only when the API
// says the viewer may (mayReassign).

import { el, format, replace } from "/tab/static/dom.js";

const PROBLEMS = {
  reassign_reason_required: "reassign_missing_reason",
  same_leader: "reassign_same",
  leader_is_employee: "reassign_employee",
  leader_not_found: "reassign_none",
};

export function reassignForm(ui, opened, back) {
  const t = ui.texts.tab;
  const problem = el("p", { id: "reassign-problem", class: "problem", role: "alert", hidden: true });
  const name = el("input", {
    id: "reassign-leader",
    name: "leader",
    type: "text",
    required: true,
    maxlength: 200,
    autocomplete: "off",
    "aria-describedby": "reassign-problem",
  });
  const reason = el("textarea", {
    id: "reassign-reason",
    name: "reason",
    required: true,
    maxlength: 500,
    rows: 3,
    "aria-describedby": "reassign-problem",
  });
  const choices = el("fieldset", { id: "reassign-choices", class: "choices", hidden: true });
  const say = (key) => {
    problem.textContent = t[key] || t.reassign_problem;
    problem.hidden = false;
  };
  const showChoices = (candidates) => {
    replace(
      choices,
      el("legend", {}, t.reassign_choose),
      candidates.map((candidate, index) =>
        el(
          "label",
          { class: "check" },
          el("input", { type: "radio", name: "chosen", value: candidate.aadObjectId, checked: index === 0 }),
          format(t.reassign_candidate, candidate),
        ),
      ),
    );
    choices.hidden = false;
    choices.querySelector("input").focus();
  };
  name.addEventListener("input", () => {
    choices.hidden = true;
    replace(choices);
  });
  const form = el(
    "form",
    {
      class: "reassign-form",
      onsubmit: async (event) => {
        event.preventDefault();
        problem.hidden = true;
        const chosen = choices.hidden ? "" : choices.querySelector("input:checked")?.value || "";
        const body = { leaderName: name.value.trim(), reason: reason.value, leaderAadObjectId: chosen };
        if (!body.leaderName) {
          say("reassign_missing_name");
          name.focus();
          return;
        }
        let answer;
        try {
          answer = await ui.calls.reassign(opened.caseId, body);
        } catch (error) {
          console.error(error);
          return say("reassign_problem"); // signed out, or the case is no longer HR's to give: nothing changed
        }
        if (answer.status === 200) {
          await ui.showCase(opened.caseId, back);
          const done = answer.body.previousLeader ? t.reassign_done : t.reassign_done_first; // nobody had it before
          const notice = el("p", { class: "done-notice", role: "status" }, format(done, answer.body.case));
          ui.main.querySelector("h2")?.after(notice);
          return;
        }
        const error = answer.body.reason || answer.body.error;
        if (error === "leader_ambiguous" && answer.body.candidates?.length) return showChoices(answer.body.candidates);
        say(PROBLEMS[error]);
        (error === "reassign_reason_required" ? reason : name).focus();
      },
    },
    el("label", { for: "reassign-leader" }, t.reassign_leader),
    name,
    el("label", { for: "reassign-reason" }, t.reassign_reason),
    reason,
    choices,
    problem,
    el("div", { class: "buttons" }, el("button", { type: "submit", class: "primary" }, t.reassign_submit)),
  );
  return el(
    "section",
    { class: "reassign", "aria-labelledby": "reassign-title" },
    el("h3", { id: "reassign-title" }, t.reassign_title),
    el("p", { class: "intro" }, t.reassign_intro),
    form,
  );
}
