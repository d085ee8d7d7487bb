// Person pickers (organisation/pickers.py): htmx lists the matches; choosing one fills the hidden input the
// form posts. The search box and the clear button stay hidden until this script runs, so a browser without
// JavaScript sees only the small select inside <noscript>.
(function () {
  function reveal(root) {
    root.querySelectorAll(".person-picker [data-needs-js]").forEach(function (el) { el.hidden = false; });
  }
  function choose(picker, pk, label) {
    picker.querySelector("input[type=hidden]").value = pk;
    picker.querySelector(".person-picker-chosen").textContent = label;
    picker.querySelector(".person-picker-results").replaceChildren();
    var box = picker.querySelector("input[type=search]");
    box.value = "";
    box.focus();
  }
  document.addEventListener("click", function (event) {
    var item = event.target.closest(".person-picker [data-person-pk]");
    if (item) {
      choose(item.closest(".person-picker"), item.dataset.personPk, item.dataset.personLabel);
      return;
    }
    var clear = event.target.closest(".person-picker [data-person-clear]");
    if (clear) choose(clear.closest(".person-picker"), "", clear.dataset.personClear);
  });
  // Enter in the search box would post the whole form before anyone is chosen.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches(".person-picker input[type=search]")) event.preventDefault();
  });
  reveal(document);
  document.addEventListener("htmx:afterSwap", function (event) { reveal(event.detail.elt.parentNode || document); });
})();
