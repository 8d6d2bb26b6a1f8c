// sopflow shell behaviour. Alpine runs in its CSP build: components are registered here with
// Alpine.data(...) and templates only reference their properties and methods.
document.addEventListener("alpine:init", () => {
  // Org chart: collapsible department tree with a search over department names, people's names
  // and employee numbers. Matching departments, the departments of matching people, and all
  // their ancestors stay visible; matching people are listed under their departments.
  window.Alpine.data("orgChart", () => {
    // Built once from the server-rendered tree; kept outside Alpine's reactive state.
    let departments = [];  // {id, parent, terms}
    let people = [];       // {key, dept, terms}
    return {
      collapsed: {},       // department id -> true when its sub-departments are hidden
      visible: null,       // null while not searching; else department id -> true
      matched: {},         // department id -> true when its own name matched
      shownPeople: {},     // person key -> true when the person matched

      init() {
        departments = Array.from(this.$root.querySelectorAll("li.org-node")).map((el) => ({
          id: el.dataset.dept, parent: el.dataset.parent, terms: el.dataset.terms,
        }));
        people = Array.from(this.$root.querySelectorAll("[data-person-key]")).map((el) => ({
          key: el.dataset.personKey, dept: el.dataset.personDept, terms: el.dataset.terms,
        }));
      },

      // Bound per element: each reads the department id from the element it sits on.
      isOpen() { return this.visible !== null || !this.collapsed[this.$el.dataset.dept]; },
      isShown() { return this.visible === null || this.visible[this.$el.dataset.dept] === true; },
      isPersonShown() { return this.shownPeople[this.$el.dataset.personKey] === true; },
      expandedState() { return this.isNodeOpen(this.nodeId()) ? "true" : "false"; },
      chevronClass() { return this.isNodeOpen(this.nodeId()) ? "" : "org-chevron-closed"; },
      matchClass() { return this.matched[this.nodeId()] ? "org-match" : ""; },
      hasNoResults() { return this.visible !== null && Object.keys(this.visible).length === 0; },

      toggle() {
        const id = this.nodeId();
        this.collapsed = { ...this.collapsed, [id]: !this.collapsed[id] };
      },
      expandAll() { this.collapsed = {}; },
      collapseAll() {
        const all = {};
        this.$root.querySelectorAll("ul[role=group][data-dept]").forEach((el) => {
          all[el.dataset.dept] = true;
        });
        this.collapsed = all;
      },

      search() {
        const query = this.$el.value.trim().toLowerCase();
        if (query === "") {
          this.visible = null;
          this.matched = {};
          this.shownPeople = {};
          return;
        }
        const parentOf = {};
        departments.forEach((d) => { parentOf[d.id] = d.parent; });
        const visible = {};
        const matched = {};
        const shownPeople = {};
        const showWithAncestors = (id) => {
          for (let current = id; current && !visible[current]; current = parentOf[current]) {
            visible[current] = true;
          }
        };
        departments.forEach((d) => {
          if (d.terms.includes(query)) { matched[d.id] = true; showWithAncestors(d.id); }
        });
        people.forEach((p) => {
          if (p.terms.includes(query)) { shownPeople[p.key] = true; showWithAncestors(p.dept); }
        });
        this.visible = visible;
        this.matched = matched;
        this.shownPeople = shownPeople;
      },

      nodeId() { return this.$el.closest("li.org-node").dataset.dept; },
      isNodeOpen(id) { return this.visible !== null || !this.collapsed[id]; },
    };
  });

  // Ask before a destructive form is sent: <form x-data="confirmSubmit" data-confirm="…">.
  window.Alpine.data("confirmSubmit", () => ({
    confirm(event) {
      if (!window.confirm(this.$el.dataset.confirm)) { event.preventDefault(); }
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
