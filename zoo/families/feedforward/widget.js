// The gallery's widget for the two-input classifiers, mlp-xor and the perceptrons (zoo/serve.py
// loads it; see zoo/gallery/gallery.js): click the two input bits, and the whole truth table.
"use strict";

(() => {
  function classification(model, task, { $, api, showError }) {
    const bits = [0, 0];
    const result = $("span", { class: "result" });
    const buttons = bits.map((_, i) => $("button", { class: "secondary", name: `x${i + 1}`, text: "0" }));
    const truth = $("table", { class: "truth" });
    const show = async () => {
      buttons.forEach((b, i) => { b.textContent = String(bits[i]); });
      try {
        const labels = await api(task.url, { inputs: bits });
        const one = labels.find((l) => l.label === "1");
        result.textContent = `→ ${labels[0].label}   (output ${one.output.toFixed(3)})`;
      } catch (error) { result.textContent = error.message; }
    };
    buttons.forEach((b, i) => b.addEventListener("click", () => { bits[i] = 1 - bits[i]; show(); }));
    const table = async () => {
      try {
        const rows = [[0, 0], [0, 1], [1, 0], [1, 1]];
        const out = await api(task.url, { inputs: rows });
        truth.replaceChildren($("tr", {}, $("th", { text: "x1" }), $("th", { text: "x2" }), $("th", { text: "class" }), $("th", { text: "output" })),
          ...rows.map((r, i) => $("tr", {}, $("td", { text: r[0] }), $("td", { text: r[1] }), $("td", { text: out[i][0].label }),
                                   $("td", { text: out[i].find((l) => l.label === "1").output.toFixed(3) }))));
      } catch (error) { showError(truth, error); }
    };
    show(); table();
    return [$("div", { class: "bits" }, $("label", { text: "click the inputs:" }), buttons[0], " ", buttons[1], result), truth];
  }

  window.zooWidgets = window.zooWidgets || {};
  window.zooWidgets["two-bits"] = classification;
})();
