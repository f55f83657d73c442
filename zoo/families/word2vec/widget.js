// The gallery's widget for word vectors (zoo/serve.py loads it; see zoo/gallery/gallery.js): a
// word's nearest words, placed on a map of the frequent words (the word-map task).
"use strict";

(() => {
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

  function wordVectors(model, task, { $, api, showError }) {
    const input = $("input", { type: "text", name: "word", value: "king", size: 20 });
    const result = $("div", { class: "result" });
    const go = $("button", { text: "Neighbours" });
    const run = async () => {
      go.disabled = true;
      try {
        const data = await api(task.url, { inputs: input.value, parameters: { top_k: 10 } });
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

  window.zooWidgets = window.zooWidgets || {};
  window.zooWidgets["word-map"] = wordVectors;
})();
