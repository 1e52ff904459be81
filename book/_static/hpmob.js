// Mark output frames whose content is wider than the text column, so CSS shows the scroll cue.
(function () {
  function mark() {
    document.querySelectorAll(".hpmob-frame, div.cell_output div.output, .pst-scrollable-table-container").forEach(function (el) {
      el.classList.toggle("hpmob-scrolls", el.scrollWidth > el.clientWidth + 1);
    });
  }
  window.addEventListener("load", mark);
  window.addEventListener("resize", mark);
})();
