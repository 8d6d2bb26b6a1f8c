// Training pages. Alpine CSP build: components registered here, templates only reference them.
document.addEventListener("alpine:init", () => {
  // Quiz sheet: counts answered questions (a fieldset per question) for the sticky progress line.
  window.Alpine.data("quizSheet", () => ({
    answered: 0,
    init() { this.count(); },
    count() {
      const sets = Array.from(this.$root.querySelectorAll("fieldset[data-question]"));
      this.answered = sets.filter((set) => set.querySelector("input:checked") !== null).length;
    },
  }));
});
