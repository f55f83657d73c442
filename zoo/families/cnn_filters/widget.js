// The gallery's widget for a filter bank (zoo/serve.py loads it; see zoo/gallery/gallery.js): an
// image (uploaded, or the sample photograph) through every filter of the bank.
"use strict";

(() => {
  function imageToImage(model, task, { $, api, showError }) {
    const file = $("input", { type: "file", name: "image", accept: "image/png,image/jpeg" });
    const sample = $("button", { class: "secondary", text: "Use the sample photograph" });
    const result = $("div", { class: "filters" });
    const run = async (blob) => {
      result.replaceChildren($("p", { class: "metrics", text: "filtering…" }));
      try {
        const outputs = await api(task.url, blob, blob.type || "image/png");
        const original = $("figure", {}, $("img", { src: URL.createObjectURL(blob), alt: "original" }), $("figcaption", { text: "original" }));
        result.replaceChildren(original, ...outputs.map((o) =>
          $("figure", {}, $("img", { src: o.image, alt: o.filter }), $("figcaption", { text: o.filter }))));
      } catch (error) { showError(result, error); }
    };
    file.addEventListener("change", () => { if (file.files[0]) run(file.files[0]); });
    sample.addEventListener("click", async () => run(await (await fetch("/sample-image")).blob()));
    return [$("div", {}, file, " ", sample), result];
  }

  window.zooWidgets = window.zooWidgets || {};
  window.zooWidgets["image-filters"] = imageToImage;
})();
