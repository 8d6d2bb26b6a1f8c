// sopflow shell behaviour. Alpine runs in its CSP build: components are registered here with
// Alpine.data(...) and templates only reference their properties and methods.
document.addEventListener("alpine:init", () => {
  // Org chart: collapse/expand departments and filter by a substring of name or employee number.
  window.Alpine.data("orgChart", () => ({
    query: "",
    collapsed: {},
    isOpen(id) { return !this.collapsed[id]; },
    toggle() { const id = this.$el.dataset.dept; this.collapsed[id] = !this.collapsed[id]; },
    expandAll() { this.collapsed = {}; },
    collapseAll() {
      const all = {};
      this.$root.querySelectorAll("[data-dept]").forEach((el) => { all[el.dataset.dept] = true; });
      this.collapsed = all;
    },
    filter() {
      const q = this.query.trim().toLowerCase();
      this.$root.querySelectorAll("[data-search]").forEach((el) => {
        const hit = q === "" || el.dataset.search.toLowerCase().includes(q);
        el.classList.toggle("org-match", q !== "" && hit);
        el.classList.toggle("d-none", q !== "" && !hit && !el.querySelector("[data-search].org-match"));
      });
      if (q !== "") { this.collapsed = {}; }
    },
  }));

  // Copy the once-shown API token to the clipboard.
  window.Alpine.data("copyText", () => ({
    copied: false,
    copy() {
      const text = this.$root.querySelector("[data-copy]").textContent.trim();
      navigator.clipboard.writeText(text).then(() => { this.copied = true; });
    },
  }));
});
