// Renders every formula of the page with the KaTeX shipped beside it (no network), and
// says so on the page: data-math="rendered" when every formula rendered, "errors" with
// each failure logged as a console error (the browser test reads both).
(function () {
  "use strict";
  function render() {
    var t0 = performance.now();
    var failed = 0;
    var nodes = document.querySelectorAll(".math");
    for (var k = 0; k < nodes.length; k++) {
      var el = nodes[k];
      var tex = el.getAttribute("data-tex") || el.textContent;
      el.setAttribute("data-tex", tex);
      try {
        katex.render(tex, el, {
          displayMode: el.classList.contains("display"),
          throwOnError: true,
          strict: "error",
          trust: false,
          output: "htmlAndMathml"
        });
      } catch (err) {
        failed += 1;
        el.classList.add("math-error");
        el.textContent = tex;
        console.error("formula not rendered: " + err.message + " — in: " + tex);
      }
    }
    document.documentElement.setAttribute("data-math", failed ? "errors" : "rendered");
    document.documentElement.setAttribute("data-math-count", String(nodes.length));
    document.documentElement.setAttribute("data-math-ms", String(Math.round(performance.now() - t0)));
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
