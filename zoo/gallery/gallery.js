// The gallery: one section per served model, with a try-it widget for its task. Every widget
// calls the server's public API (the same requests the README shows), nothing else.
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

const PROMPTS = { charrnn: "ROMEO:", "ngram-lm": "first citizen :", "gru-lm": "first citizen :", "lstm-lm": "first citizen :" };

function textGeneration(model) {
  const prompt = $("textarea", { name: "prompt" });
  prompt.value = PROMPTS[model.architecture] || "";
  const unit = model.architecture === "charrnn" ? "characters" : "words";
  const length = $("input", { type: "number", name: "max_new_tokens", value: model.architecture === "charrnn" ? 300 : 60, min: 1, max: 1000 });
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
      await streamEvents(model.url, body, (event) => {
        if (event.generated_text === null) output.textContent += event.token.text;
        else output.dataset.done = "true";
        output.scrollTop = output.scrollHeight;
      });
    } catch (error) { showError(output, error); }
    go.disabled = false;
  });
  return [prompt, $("div", {}, $("label", {}, `${unit} `, length), $("label", {}, "temperature ", temperature),
                    $("label", {}, "seed ", seed), go), output];
}

function heatTable(attention) {
  // Rows: output characters; columns: input characters; colour: attention weight.
  const table = $("table", { class: "heat" });
  table.append($("tr", {}, $("th"), ...attention.input.map((c) => $("th", { text: c === " " ? "␣" : c }))));
  attention.weights.forEach((row, i) => {
    const tr = $("tr", {}, $("th", { text: attention.output[i] }));
    row.forEach((w) => {
      const td = $("td", { title: w.toFixed(3) });
      td.style.background = `rgba(194, 65, 12, ${Math.min(1, w)})`;
      tr.append(td);
    });
    table.append(tr);
  });
  return table;
}

function text2text(model) {
  const input = $("input", { type: "text", name: "date", value: "3 March 1999", size: 28 });
  const result = $("div", { class: "result" });
  const go = $("button", { text: "Convert" });
  const run = async () => {
    go.disabled = true;
    try {
      const [out] = await api(model.url, { inputs: input.value, parameters: { return_attention: true } });
      result.replaceChildren($("div", { class: "iso", text: out.generated_text }),
                             $("p", { class: "metrics", text: "which input characters each output character read:" }),
                             heatTable(out.attention));
    } catch (error) { showError(result, error); }
    go.disabled = false;
  };
  go.addEventListener("click", run);
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
  return [$("div", {}, input, " ", go), result];
}

function wordMap(data) {
  // An SVG scatter of the frequent words (grey), the word's neighbours (orange) and the word.
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("class", "wordmap");
  const points = [...data.map, ...data.neighbours, data].map((d) => d.point);
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const W = 760, H = 420, pad = 30;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const place = ([x, y]) => [pad + (x - x0) / (x1 - x0 || 1) * (W - 2 * pad), H - pad - (y - y0) / (y1 - y0 || 1) * (H - 2 * pad)];
  const label = (d, cls) => {
    const [x, y] = place(d.point);
    const text = document.createElementNS(svgNS, "text");
    text.setAttribute("x", x); text.setAttribute("y", y);
    if (cls) text.setAttribute("class", cls);
    text.textContent = d.word;
    svg.append(text);
  };
  const near = new Set(data.neighbours.map((d) => d.word));
  data.map.filter((d) => !near.has(d.word) && d.word !== data.word).forEach((d) => label(d));
  data.neighbours.forEach((d) => label(d, "near"));
  label(data, "query");
  return svg;
}

function wordVectors(model) {
  const input = $("input", { type: "text", name: "word", value: "king", size: 20 });
  const result = $("div", { class: "result" });
  const go = $("button", { text: "Neighbours" });
  const run = async () => {
    go.disabled = true;
    try {
      const data = await api(`${model.url}/word-map`, { inputs: input.value, parameters: { top_k: 10 } });
      result.replaceChildren(
        $("div", { class: "neighbours" }, ...data.neighbours.map((d) => $("span", { text: `${d.word} ${d.score.toFixed(2)}` }))),
        $("p", { class: "metrics", text: "where they sit among the frequent words (PCA of the vectors):" }),
        wordMap(data));
    } catch (error) { showError(result, error); }
    go.disabled = false;
  };
  go.addEventListener("click", run);
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
  return [$("div", {}, input, " ", go), result];
}

function imageToImage(model) {
  const file = $("input", { type: "file", name: "image", accept: "image/png,image/jpeg" });
  const sample = $("button", { class: "secondary", text: "Use the sample photograph" });
  const result = $("div", { class: "filters" });
  const run = async (blob) => {
    result.replaceChildren($("p", { class: "metrics", text: "filtering…" }));
    try {
      const outputs = await api(model.url, blob, blob.type || "image/png");
      const original = $("figure", {}, $("img", { src: URL.createObjectURL(blob), alt: "original" }), $("figcaption", { text: "original" }));
      result.replaceChildren(original, ...outputs.map((o) =>
        $("figure", {}, $("img", { src: o.image, alt: o.filter }), $("figcaption", { text: o.filter }))));
    } catch (error) { showError(result, error); }
  };
  file.addEventListener("change", () => { if (file.files[0]) run(file.files[0]); });
  sample.addEventListener("click", async () => run(await (await fetch("/sample-image")).blob()));
  return [$("div", {}, file, " ", sample), result];
}

function classification(model) {
  const bits = [0, 0];
  const result = $("span", { class: "result" });
  const buttons = bits.map((_, i) => $("button", { class: "secondary", name: `x${i + 1}`, text: "0" }));
  const truth = $("table", { class: "truth" });
  const show = async () => {
    buttons.forEach((b, i) => { b.textContent = String(bits[i]); });
    try {
      const labels = await api(model.url, { inputs: bits });
      const one = labels.find((l) => l.label === "1");
      result.textContent = `→ ${labels[0].label}   (output ${one.output.toFixed(3)})`;
    } catch (error) { result.textContent = error.message; }
  };
  buttons.forEach((b, i) => b.addEventListener("click", () => { bits[i] = 1 - bits[i]; show(); }));
  const table = async () => {
    try {
      const rows = [[0, 0], [0, 1], [1, 0], [1, 1]];
      const out = await api(model.url, { inputs: rows });
      truth.replaceChildren($("tr", {}, $("th", { text: "x1" }), $("th", { text: "x2" }), $("th", { text: "class" }), $("th", { text: "output" })),
        ...rows.map((r, i) => $("tr", {}, $("td", { text: r[0] }), $("td", { text: r[1] }), $("td", { text: out[i][0].label }),
                                 $("td", { text: out[i].find((l) => l.label === "1").output.toFixed(3) }))));
    } catch (error) { showError(truth, error); }
  };
  show(); table();
  return [$("div", { class: "bits" }, $("label", { text: "click the inputs:" }), buttons[0], " ", buttons[1], result), truth];
}

const WIDGETS = {
  "text-generation": textGeneration,
  "text2text-generation": text2text,
  "feature-extraction": wordVectors,
  "image-to-image": imageToImage,
  "tabular-classification": classification,
};

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
  const widget = WIDGETS[model.task];
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
  if (widget) box.append($("div", { class: "try" }, ...widget(model)));
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
