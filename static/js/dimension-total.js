// The framework page: the running total of the dimensions' weights, red until it is exactly 100.
(function () {
  "use strict";
  var form = document.getElementById("dimensions-form"), out = document.getElementById("dimensions-total");
  if (!form || !out) return;
  function update() {
    var total = 0;
    form.querySelectorAll("tbody tr").forEach(function (row) {
      var weight = row.querySelector(".dimension-weight"), del = row.querySelector(".dimension-delete");
      if (weight && !(del && del.checked)) { total += Math.round((parseFloat(weight.value) || 0) * 10000); }
    });
    out.textContent = String(total / 10000);
    out.classList.toggle("text-danger", total !== 1000000);
    out.classList.toggle("text-success", total === 1000000);
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
