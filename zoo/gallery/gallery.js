// The gallery: one section per served model, with a try-it widget for its task. Every widget
// calls the server's public API (the same requests the README shows), nothing else.
//
// A widget is a function (model, task, ui) -> the nodes of its box, keyed by the kind a task
// names (zoo.hooks.Task.widget). This file draws the shared kinds; a family brings its own in
// zoo/families/NAME/widget.js, which the page loads before this file and which adds its kinds to
// window.zooWidgets. `ui` hands them this file's helpers: $, api, streamEvents, showError.
"use strict";

const $ = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
};

// ---------------------------------------------------------------------------- the API

function headers(extra = {}) {
  const token = localStorage.getItem("zoo-token");
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

async function api(path, body, contentType = "application/json") {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: headers(body === undefined ? {} : { "Content-Type": contentType }),
    body: body === undefined ? undefined : (contentType === "application/json" ? JSON.stringify(body) : body),
  });
  const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

// Server-sent events over fetch (EventSource cannot POST): call onEvent with each event's JSON.
async function streamEvents(path, body, onEvent) {
  const response = await fetch(path, {
    method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
  });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    throw new Error(data.error || `HTTP ${response.status}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      for (const line of event.split("\n")) {
        if (line.startsWith("data:")) onEvent(JSON.parse(line.slice(5)));
      }
    }
  }
}

function showError(box, error) {
  box.replaceChildren($("p", { class: "error", text: error.message || String(error) }));
}

// ---------------------------------------------------------------------------- widgets

function textGeneration(model, task) {
  // Where the widget starts (a prompt, a length, what a token is) comes from the model's class.
  const start = model.widget_defaults || {};
  const prompt = $("textarea", { name: "prompt" });
  prompt.value = start.prompt || "";
  const unit = start.unit || "tokens";
  const length = $("input", { type: "number", name: "max_new_tokens", value: start.max_new_tokens || 60, min: 1, max: 1000 });
  const temperature = $("input", { type: "number", name: "temperature", value: 0.8, step: 0.1, min: 0, max: 5 });
  const seed = $("input", { type: "number", name: "seed", value: 1, min: 0 });
  const output = $("pre", { class: "output", "aria-live": "polite" });
  const go = $("button", { text: "Generate" });
  go.addEventListener("click", async () => {
    go.disabled = true;
    output.textContent = prompt.value;
    const body = {
      inputs: prompt.value, stream: true,
      parameters: { max_new_tokens: +length.value, temperature: +temperature.value, seed: +seed.value },
    };
    try {
      await streamEvents(task.url, body, (event) => {
        // TGI's events: one a token; the last token's also carries the generated text.
        if (event.token && !event.token.special) output.textContent += event.token.text;
        if (event.generated_text !== null) output.dataset.done = "true";
        output.scrollTop = output.scrollHeight;
      });
    } catch (error) { showError(output, error); }
    go.disabled = false;
  });
  return [prompt, $("div", {}, $("label", {}, `${unit} `, length), $("label", {}, "temperature ", temperature),
                    $("label", {}, "seed ", seed), go), output];
}

const WIDGETS = {
  "text-generation": textGeneration,
  ...(window.zooWidgets || {}),  // the families' own kinds (zoo/families/NAME/widget.js)
};
const UI = { $, api, streamEvents, showError };

// ---------------------------------------------------------------------------- the page

function metricsLine(metrics) {
  const entries = Object.entries(metrics || {}).slice(0, 6);
  const line = $("div", { class: "metrics" });
  entries.forEach(([key, value], i) => {
    // A whole number (a parameter count) in full, with thousands separators; a measure to 4 digits.
    const shown = typeof value !== "number" ? String(value) : Number.isInteger(value) ? value.toLocaleString("en-US") : +value.toPrecision(4);
    line.append(`${i ? " · " : ""}${key} `, $("code", { text: shown }));
  });
  return line;
}

function cardDetails(model) {
  const details = $("details", { class: "card" }, $("summary", { text: "Model card and plots" }));
  const body = $("div", { class: "card-body" });
  details.append(body);
  details.addEventListener("toggle", async () => {
    if (!details.open || body.dataset.loaded) return;
    try {
      const full = await api(model.url);
      // The one innerHTML of the page, for the card the server renders: raw HTML in the markdown
      // comes out as text, every attribute is escaped, and the page's Content-Security-Policy
      // runs no inline script even if something slipped through. Everything else is set as text.
      body.innerHTML = full.card_html;
      body.dataset.loaded = "true";
    } catch (error) { showError(body, error); }
  });
  return details;
}

function section(model) {
  const task = (model.widgets || []).find((w) => WIDGETS[w.widget]);  // its first task with a widget drawn here
  const box = $("section", { class: "model", id: model.name, "data-model": model.name, "data-task": model.task },
    $("h2", { text: model.name }),
    $("div", { class: "meta", text: `${model.architecture} · ${model.task}${model.dataset ? " · " + model.dataset : ""}` }),
    $("p", { class: "description", text: model.description }),
    metricsLine(model.metrics));
  if (model.lineage) box.append($("div", { class: "lineage", text: `fine-tuned: ${model.lineage}` }));
  if (model.plots.length) {
    box.append($("div", { class: "plots" }, ...model.plots.slice(0, 3).map((p) =>
      $("img", { src: `${model.url}/files/${encodeURIComponent(p)}`, alt: p, loading: "lazy" }))));
  }
  if (task) box.append($("div", { class: "try" }, ...WIDGETS[task.widget](model, task, UI)));
  box.append(cardDetails(model));
  return box;
}

async function main() {
  const main = document.getElementById("models");
  if (document.body.dataset.auth === "true") {
    const row = document.getElementById("token-row");
    row.hidden = false;
    document.getElementById("token").value = localStorage.getItem("zoo-token") || "";
    document.getElementById("token-save").addEventListener("click", () => {
      localStorage.setItem("zoo-token", document.getElementById("token").value);
      location.reload();
    });
  }
  try {
    const models = await api("/models");
    main.replaceChildren(...models.map(section));
    document.getElementById("index").replaceChildren(...models.map((m) => $("a", { href: `#${m.name}`, text: m.name })));
    document.body.dataset.ready = "true";
  } catch (error) { showError(main, error); }
}

main();
