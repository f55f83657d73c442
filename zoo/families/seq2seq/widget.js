// The gallery's widget for a seq2seq model (zoo/serve.py loads it; see zoo/gallery/gallery.js):
// a date in, its ISO form out, and the attention weights as a heat table.
"use strict";

(() => {
  function heatTable($, attention) {
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

  function text2text(model, task, { $, api, showError }) {
    const input = $("input", { type: "text", name: "date", value: "3 March 1999", size: 28 });
    const result = $("div", { class: "result" });
    const go = $("button", { text: "Convert" });
    const run = async () => {
      go.disabled = true;
      try {
        const [out] = await api(task.url, { inputs: input.value, parameters: { return_attention: true } });
        result.replaceChildren($("div", { class: "iso", text: out.generated_text }),
                               $("p", { class: "metrics", text: "which input characters each output character read:" }),
                               heatTable($, out.attention));
      } catch (error) { showError(result, error); }
      go.disabled = false;
    };
    go.addEventListener("click", run);
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
    return [$("div", {}, input, " ", go), result];
  }

  window.zooWidgets = window.zooWidgets || {};
  window.zooWidgets["text2text"] = text2text;
})();
