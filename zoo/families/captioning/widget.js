// The gallery's widget for a captioner (zoo/serve.py loads it; see zoo/gallery/gallery.js): a new
// random scene of shapes at a click (drawn here, on a canvas, as the family's scenes.py draws
// them), or an uploaded image; its caption, and where the decoder looked for each word.
"use strict";

(() => {
  const SIZE = 64;
  const COLOURS = { red: [215, 40, 40], green: [40, 175, 60], blue: [50, 95, 235], yellow: [235, 215, 45], purple: [150, 65, 205] };
  const SHAPES = ["circle", "square", "triangle", "diamond"];
  const RADII = { small: 6, large: 11 };

  function pick(list) { return list[Math.floor(Math.random() * list.length)]; }

  function drawShape(ctx, shape, x, y, r) {
    ctx.beginPath();
    if (shape === "circle") ctx.arc(x, y, r * 0.9, 0, 2 * Math.PI);
    else if (shape === "square") ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
    else if (shape === "triangle") { ctx.moveTo(x, y - r); ctx.lineTo(x + r * 0.95, y + r * 0.75); ctx.lineTo(x - r * 0.95, y + r * 0.75); }
    else { ctx.moveTo(x, y - r * 1.05); ctx.lineTo(x + r * 0.8, y); ctx.lineTo(x, y + r * 1.05); ctx.lineTo(x - r * 0.8, y); }
    ctx.closePath();
    ctx.fill();
  }

  function randomScene() {
    // One to three objects spread from left to right (the training scenes' rule for three).
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = SIZE;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = `rgb(${[0, 1, 2].map(() => Math.floor(Math.random() * 100)).join(",")})`;
    ctx.fillRect(0, 0, SIZE, SIZE);
    const count = 1 + Math.floor(Math.random() * 3);
    const slots = count === 1 ? [SIZE / 2] : count === 2 ? [18, 46] : [12, 32, 52];
    const vertical = count === 2 && Math.random() < 0.5;
    slots.forEach((along) => {
      const size = count === 3 ? "small" : pick(["small", "large"]);
      const r = RADII[size];
      const across = r + 2 + Math.random() * (SIZE - 2 * r - 4);
      const [x, y] = vertical ? [count === 2 ? 32 : across, along] : [along, count === 2 ? 32 : across];
      ctx.fillStyle = `rgb(${COLOURS[pick(Object.keys(COLOURS))].join(",")})`;
      drawShape(ctx, pick(SHAPES), x, y, r);
    });
    return canvas;
  }

  function attentionMap($, imageUrl, weights, word) {
    // The image, and over it the 8x8 attention weights of one word (brighter: read more).
    // data-peak: the cell read most ("row,column"), left undarkened; data-drawn once it is drawn.
    const canvas = $("canvas", { width: 96, height: 96, class: "attention", title: word });
    const ctx = canvas.getContext("2d");
    const top = Math.max(...weights.flat(), 1e-6);
    const peak = weights.flatMap((row, i) => row.map((w, j) => [w, i, j])).reduce((a, b) => (b[0] > a[0] ? b : a));
    canvas.dataset.peak = `${peak[1]},${peak[2]}`;
    const img = new Image();
    img.onload = () => {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(img, 0, 0, 96, 96);
      const cell = 96 / weights.length;
      weights.forEach((row, i) => row.forEach((w, j) => {
        ctx.fillStyle = `rgba(0, 0, 0, ${0.85 * (1 - w / top)})`;
        ctx.fillRect(j * cell, i * cell, cell, cell);
      }));
      canvas.dataset.drawn = "true";
    };
    img.src = imageUrl;
    return $("figure", { "data-word": word }, canvas, $("figcaption", { text: word }));
  }

  function imageToText(model, task, { $, api, showError }) {
    const scene = $("button", { text: "New scene" });
    const file = $("input", { type: "file", name: "image", accept: "image/png,image/jpeg" });
    // data-state: describing, done or error; data-source: the image's (scene or upload); data-runs
    // counts the answers shown.
    const result = $("div", { class: "captioning" });
    let runs = 0;
    const run = async (blob, source) => {
      Object.assign(result.dataset, { state: "describing", source });
      result.replaceChildren($("p", { class: "metrics", text: "describing…" }));
      try {
        const url = URL.createObjectURL(blob);
        const [out] = await api(`${task.url}?return_attention=true`, blob, blob.type || "image/png");
        const shown = $("img", { src: url, alt: "the image", width: 128, height: 128, class: "scene" });
        const maps = out.attention.words.map((word, i) => attentionMap($, url, out.attention.weights[i], word));
        result.replaceChildren(shown, $("div", { class: "caption", text: out.generated_text }),
                               $("p", { class: "metrics", text: "where it looked for each word:" }),
                               $("div", { class: "attention-maps" }, ...maps));
        result.dataset.state = "done";
      } catch (error) {
        showError(result, error);
        result.dataset.state = "error";
      }
      result.dataset.runs = String(++runs);
    };
    scene.addEventListener("click", () => randomScene().toBlob((blob) => run(blob, "scene"), "image/png"));
    file.addEventListener("change", () => { if (file.files[0]) run(file.files[0], "upload"); });
    return [$("div", {}, scene, " or upload ", file), result];
  }

  window.zooWidgets = window.zooWidgets || {};
  window.zooWidgets["image-to-text"] = imageToText;
})();
