// The year's agreements page: "select all units of a type" buttons tick every unit checkbox of that type.
(function () {
  "use strict";
  document.querySelectorAll(".select-type").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll("#create-form input[name=units][data-type='" + button.dataset.type + "']")
        .forEach(function (box) { box.checked = true; });
    });
  });
})();
