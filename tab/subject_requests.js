// Data subject requests in the Overblik tab (GDPR art. 15 and 16), apart from the other views: HR's legal function
// names a person and downloads one signed package of every case that names them; a case's leader, deputy or HR
// appends a rectification to the case (a note beside the record; the record and its evidence are never changed).
// The API decides who may (403/404); a 400 shows the form's own problem text. Text nodes only.

import { el, format, replace } from "/tab/static/dom.js";

// The view HR's legal function opens from the navigation: a name (and the employee's Entra object id, if known).
export function subjectRequestView(ui, failed) {
  const t = ui.texts.subject_requests;
  const problem = el("p", { id: "dsr-problem", class: "problem", role: "alert", hidden: true }, t.problem_name);
  const result = el("p", { id: "dsr-result", role: "status" });
  const name = el("input", { id: "dsr-name", name: "name", required: true, minlength: 2, maxlength: 200, autocomplete: "off" });
  const oid = el("input", { id: "dsr-oid", name: "aadObjectId", maxlength: 64, autocomplete: "off", "aria-describedby": "dsr-oid-help" });
  const submit = el("button", { type: "submit", class: "primary" }, t.submit);
  const form = el(
    "form",
    {
      class: "break-the-glass subject-request",
      onsubmit: async (event) => {
        event.preventDefault();
        problem.hidden = true;
        result.textContent = t.working;
        submit.disabled = true;
        try {
          const body = { name: name.value, aadObjectId: oid.value.trim(), language: ui.language };
          const response = await ui.calls.post("subject-requests", body);
          if (response.status === 400) {
            result.textContent = "";
            problem.hidden = false;
            name.focus();
            return;
          }
          if (!response.ok) throw new Error(`subject-requests: ${response.status}`);
          const blob = await response.blob();
          const cases = Number(response.headers.get("X-Vaern-Cases") || "0");
          const disposition = response.headers.get("Content-Disposition") || "";
          const file = (disposition.match(/filename="([^"]+)"/) || [])[1] || "Indsigtspakke.zip";
          const url = URL.createObjectURL(blob);
          const link = el("a", { href: url, download: file, hidden: true });
          document.body.append(link);
          link.click();
          link.remove();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
          result.textContent = cases ? format(t.done, { cases, file }) : format(t.done_none, { file });
        } catch (error) {
          result.textContent = "";
          failed(error);
        } finally {
          submit.disabled = false;
        }
      },
    },
    el("label", { for: "dsr-name" }, t.name),
    name,
    el("label", { for: "dsr-oid" }, t.object_id),
    oid,
    el("p", { id: "dsr-oid-help", class: "hint" }, t.object_id_help),
    problem,
    el("div", { class: "buttons" }, submit),
    result,
  );
  replace(
    ui.main,
    el(
      "section",
      { "aria-labelledby": "dsr-title" },
      el("h2", { id: "dsr-title" }, t.title),
      el("p", { class: "intro" }, t.intro),
      form,
      el("p", {}, ui.texts.tab.crisis),
    ),
  );
  name.focus();
}

// The case's rectifications and, for leadership and HR, a form to append one; added under a case opened in full.
export function addRectifications(ui, opened, failed) {
  const t = ui.texts.subject_requests;
  const article = ui.main.querySelector("article");
  if (!article) return;
  const list = el("ul", { class: "rectifications" });
  const show = (note) =>
    list.append(el("li", {}, el("p", { class: "hint" }, format(t.rectification_by, { name: note.name, at: new Date(note.at).toLocaleString(ui.language === "en" ? "en-GB" : "da-DK") })), el("p", {}, note.text)));
  const notes = opened.rectifications || [];
  notes.forEach(show);
  const empty = el("p", { hidden: notes.length > 0 }, t.rectifications_none);
  const section = el(
    "section",
    { class: "rectifications", "aria-labelledby": "rectifications-title" },
    el("h3", { id: "rectifications-title" }, t.rectifications),
    el("p", { class: "intro" }, t.rectifications_intro),
    empty,
    list,
  );
  const roles = opened.viewerRoles || [];
  if (roles.some((role) => ["leader", "deputy", "hr"].includes(role))) {
    const problem = el("p", { id: "rect-problem", class: "problem", role: "alert", hidden: true }, t.problem_text);
    const text = el("textarea", { id: "rect-text", name: "text", required: true, minlength: 10, maxlength: 2000, rows: 3, "aria-describedby": "rect-problem" });
    section.append(
      el(
        "form",
        {
          class: "break-the-glass rectify",
          onsubmit: async (event) => {
            event.preventDefault();
            problem.hidden = true;
            try {
              const response = await ui.calls.post(`cases/${encodeURIComponent(opened.caseId)}/rectifications`, { text: text.value });
              if (response.status === 400 || response.status === 409) {
                problem.hidden = false;
                text.focus();
                return;
              }
              const { rectification } = await response.json();
              show(rectification);
              empty.hidden = true;
              text.value = "";
            } catch (error) {
              failed(error);
            }
          },
        },
        el("label", { for: "rect-text" }, t.rectification_text),
        text,
        problem,
        el("div", { class: "buttons" }, el("button", { type: "submit" }, t.rectification_submit)),
      ),
    );
  }
  article.append(section);
}
