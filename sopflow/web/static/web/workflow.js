// 审批 pages: Alpine (CSP build) components, registered here; templates only name them.
document.addEventListener("alpine:init", () => {
  // Inbox batch approval: a "select all" box for the task checkboxes of the list.
  Alpine.data("inboxBatch", () => ({
    toggleAll() {
      const checked = this.$el.checked;
      this.$root.querySelectorAll("input[name=task_ids]").forEach((box) => { box.checked = checked; });
    },
  }));
});
