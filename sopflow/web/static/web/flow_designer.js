// Flow designer behaviour (no inline scripts; htmx does the requests, the server renders).
// Picker results: a person ticked in the search results moves to the selected list, so a new
// search does not drop it.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.closest(".pick-results")) return;
  const picker = input.closest(".flow-picker");
  const selected = picker && picker.querySelector(".pick-selected");
  if (!selected || !input.checked) return;
  const label = input.closest("label");
  if (label) {
    label.classList.add("form-check-inline");
    selected.appendChild(label);
  }
});

// Drawer saves re-render the tree out of band; scroll the drawer back to its top on new content.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail && event.detail.target && event.detail.target.id === "flow-drawer") {
    event.detail.target.scrollTop = 0;
  }
});
