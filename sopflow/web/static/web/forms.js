// Form templates: fill page (detail rows, uploads with client-side image downscale, signature
// pad) and the form designer. Alpine CSP build: templates reference only properties/methods.
(() => {
  const MAX_IMAGE_SIDE = 1600;

  function csrfToken(root) {
    const input = (root.closest("form") || document).querySelector("[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    const match = document.cookie.match(/csrftoken=([^;]+)/);
    return match ? match[1] : "";
  }

  function notifyForm(el, name) {
    const form = el.closest("form");
    if (form) { form.dispatchEvent(new CustomEvent(name, { bubbles: true })); }
  }

  async function downscale(file) {
    // Phones send 4000px photos; shrink before upload. Anything undecodable goes as-is so the
    // server can refuse it with its message.
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, MAX_IMAGE_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      if (!blob) { return { blob: file, name: file.name }; }
      return { blob, name: `${file.name.replace(/\.[^.]+$/, "") || "photo"}.jpg` };
    } catch (error) {
      return { blob: file, name: file.name };
    }
  }

  async function sendFile(root, blob, name) {
    const form = root.closest("form");
    const data = new FormData();
    data.append("file", blob, name);
    data.append("field", root.dataset.field);
    if (form.dataset.submission) { data.append("submission", form.dataset.submission); }
    if (form.dataset.version) { data.append("version", form.dataset.version); }
    const response = await fetch(form.dataset.uploadUrl, {
      method: "POST", body: data, headers: { "X-CSRFToken": csrfToken(root) },
      credentials: "same-origin",
    });
    const body = await response.json().catch(() => ({ message: "上传失败，请重试" }));
    if (!response.ok) { throw new Error(body.message || "上传失败，请重试"); }
    return body;
  }

  function fileChip(root, file) {
    const chip = document.createElement("span");
    chip.className = "badge bg-secondary-lt";
    chip.setAttribute("data-file", "");
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = root.dataset.name;
    hidden.value = file.id;
    chip.appendChild(hidden);
    if (file.thumbnail_url) {
      const img = document.createElement("img");
      img.src = file.thumbnail_url;
      img.alt = "";
      img.height = 32;
      img.className = "me-1";
      chip.appendChild(img);
    }
    chip.appendChild(document.createTextNode(file.name));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn-close ms-1";
    remove.setAttribute("aria-label", "移除");
    remove.setAttribute("x-on:click", "remove");
    chip.appendChild(remove);
    return chip;
  }

  function newKey(prefix) {
    return `${prefix}_${Math.random().toString(36).slice(2, 7)}`;
  }

  const TYPE_LABELS = {
    text: "单行文本", textarea: "多行文本", number: "数字", money: "金额", date: "日期",
    datetime: "日期时间", date_range: "日期区间", single_choice: "单选", multi_choice: "多选",
    person: "人员", department: "部门", attachment: "附件", image: "图片", table: "明细表",
    formula: "公式", description: "说明文字", phone: "手机号", email: "邮箱", signature: "手写签名",
  };

  function newField(type) {
    const field = { key: newKey("f"), type, label: TYPE_LABELS[type] || type, required: false };
    if (type === "single_choice" || type === "multi_choice") {
      field.options = [{ value: "选项1", label: "选项1" }, { value: "选项2", label: "选项2" }];
    }
    if (type === "table") { field.columns = []; field.totals = []; }
    if (type === "formula") { field.expression = ""; field.result = "number"; }
    if (type === "description") { field.text = "说明文字"; field.label = ""; }
    return field;
  }

  // Conditional visibility: the server answers every autosave/calc with the keys of hidden
  // fields (#form-visibility); the wrappers follow it. The server stays the authority.
  function applyVisibility() {
    const state = document.getElementById("form-visibility");
    if (!state) { return; }
    const hidden = new Set((state.dataset.hidden || "").split(" ").filter((key) => key !== ""));
    (state.closest(".sop-form") || document).querySelectorAll("[data-field-key]").forEach((wrapper) => {
      wrapper.hidden = hidden.has(wrapper.dataset.fieldKey);
    });
  }
  ["htmx:oobAfterSwap", "htmx:afterSettle", "htmx:afterRequest"].forEach((name) => {
    document.addEventListener(name, () => window.setTimeout(applyVisibility, 0));
  });

  // Condition operators per field type (the server's design check allows the same ones).
  const OPS = {
    number: ["eq", "ne", "gt", "ge", "lt", "le", "is_empty", "not_empty"],
    text: ["eq", "ne", "contains", "not_contains", "is_empty", "not_empty"],
    single: ["eq", "ne", "is_empty", "not_empty"],
    multi: ["contains", "not_contains", "is_empty", "not_empty"],
    presence: ["is_empty", "not_empty"],
  };
  const OP_LABELS = {
    eq: "等于", ne: "不等于", gt: "大于", ge: "大于等于", lt: "小于", le: "小于等于",
    contains: "包含", not_contains: "不包含", is_empty: "为空", not_empty: "不为空",
  };
  const NO_VALUE = new Set(["is_empty", "not_empty"]);

  function opKind(type) {
    if (["number", "money", "date", "datetime", "formula"].includes(type)) { return "number"; }
    if (["text", "textarea", "phone", "email"].includes(type)) { return "text"; }
    if (type === "single_choice") { return "single"; }
    if (type === "multi_choice") { return "multi"; }
    return "presence";
  }

  // Print view: a static handler (no inline script).
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print-button]")) { window.print(); }
  });

  document.addEventListener("alpine:init", () => {
    const Alpine = window.Alpine;

    Alpine.data("fillForm", () => ({}));

    // Multi-select pickers: a search box hides the options that do not match (chosen ones stay).
    Alpine.data("pickerSearch", () => ({
      filter() {
        const text = this.$el.value.trim().toLowerCase();
        this.$root.querySelectorAll("select option").forEach((option) => {
          option.hidden = text !== "" && !option.selected
            && !option.textContent.toLowerCase().includes(text);
        });
      },
    }));

    // Template settings: upload an image (checked by the server) and insert its Markdown.
    Alpine.data("sopEditor", () => ({
      status: "",
      async uploadImage() {
        const input = this.$el;
        const file = (input.files || [])[0];
        if (!file) { return; }
        this.status = `正在上传 ${file.name}…`;
        const data = new FormData();
        data.append("file", file, file.name);
        const response = await fetch(this.$root.dataset.uploadUrl, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(this.$root) },
        });
        const body = await response.json().catch(() => ({ message: "上传失败，请重试" }));
        input.value = "";
        if (!response.ok) { this.status = body.message || "上传失败，请重试"; return; }
        const text = this.$refs.text;
        const snippet = `\n![${body.name.replace(/[\[\]]/g, "")}](${body.url})\n`;
        const at = text.selectionStart ?? text.value.length;
        text.value = text.value.slice(0, at) + snippet + text.value.slice(at);
        this.status = `已插入图片 ${body.name}`;
        text.dispatchEvent(new CustomEvent("sop-changed", { bubbles: true }));
      },
    }));

    // 明细: add/remove rows client-side; names carry a row token, the server keeps DOM order.
    Alpine.data("detailTable", () => ({
      addRow() {
        const template = this.$root.querySelector("template[data-row-template]");
        const token = `n${Date.now()}${Math.floor(Math.random() * 1000)}`;
        const html = template.innerHTML.replaceAll("__new__", token);
        this.$root.querySelector("[data-rows]").insertAdjacentHTML("beforeend", html);
        this.renumber();
        notifyForm(this.$root, "rows-changed");
      },
      removeRow() {
        const row = this.$el.closest("tr");
        if (row) { row.remove(); }
        this.renumber();
        notifyForm(this.$root, "rows-changed");
      },
      renumber() {
        this.$root.querySelectorAll("[data-rows] [data-row-number]").forEach((cell, index) => {
          cell.textContent = String(index + 1);
        });
      },
    }));

    // Attachment and image fields: upload each chosen file at once; keep its id in the form.
    Alpine.data("uploader", () => ({
      status: "",
      async upload() {
        const input = this.$el;
        const files = Array.from(input.files || []);
        for (const file of files) {
          this.status = `正在上传 ${file.name}…`;
          let blob = file;
          let name = file.name;
          if (this.$root.dataset.kind === "image" && /^image\//.test(file.type)) {
            ({ blob, name } = await downscale(file));
          }
          try {
            const saved = await sendFile(this.$root, blob, name);
            this.$root.querySelector("[data-files]").appendChild(fileChip(this.$root, saved));
            this.status = `已上传 ${saved.name}`;
            notifyForm(this.$root, "files-changed");
          } catch (error) {
            this.status = error.message;
          }
        }
        input.value = "";
      },
      remove() {
        const chip = this.$el.closest("[data-file]");
        if (chip) { chip.remove(); }
        notifyForm(this.$root, "files-changed");
      },
    }));

    // Handwritten signature: draw on a canvas, upload it as a PNG.
    Alpine.data("signaturePad", () => ({
      status: "",
      drawing: false,
      init() {
        const canvas = this.$root.querySelector("canvas");
        canvas.width = canvas.clientWidth || 320;
        this.context = canvas.getContext("2d");
        this.context.lineWidth = 2.5;
        this.context.lineCap = "round";
      },
      point(event) {
        const box = event.target.getBoundingClientRect();
        return [event.clientX - box.left, event.clientY - box.top];
      },
      start(event) {
        this.drawing = true;
        const [x, y] = this.point(event);
        this.context.beginPath();
        this.context.moveTo(x, y);
      },
      move(event) {
        if (!this.drawing) { return; }
        const [x, y] = this.point(event);
        this.context.lineTo(x, y);
        this.context.stroke();
      },
      end() { this.drawing = false; },
      clear() {
        const canvas = this.$root.querySelector("canvas");
        this.context.clearRect(0, 0, canvas.width, canvas.height);
      },
      async save() {
        const canvas = this.$root.querySelector("canvas");
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
        try {
          const saved = await sendFile(this.$root, blob, "signature.png");
          const holder = this.$root.querySelector("[data-files]");
          holder.replaceChildren(fileChip(this.$root, saved));
          this.status = "已保存签名";
          notifyForm(this.$root, "files-changed");
        } catch (error) {
          this.status = error.message;
        }
      },
    }));

    // The form designer: one JSON schema in memory, a server-rendered preview, server checks.
    Alpine.data("designer", () => ({
      fields: [],
      sop: "",
      selectedKey: "",
      selectedColumnKey: "",
      newColumnType: "text",
      errors: {},
      message: "",
      messageClass: "",
      previewMode: "phone",
      timer: null,
      init() {
        const data = JSON.parse(document.getElementById("designer-schema").textContent);
        this.fields = data.fields || [];
        this.sop = JSON.parse(document.getElementById("designer-sop").textContent) || "";
        this.$watch("fields", () => this.schedulePreview());
        this.refreshPreview();
      },
      // palette and canvas
      addField() {
        const field = newField(this.$el.dataset.type);
        this.fields.push(field);
        this.selectedKey = field.key;
        this.selectedColumnKey = "";
      },
      // drag from the palette (a clone) into the canvas or a detail table's columns
      paletteItem() { return `palette:${this.$el.dataset.type}`; },
      paletteSortConfig() {
        return { group: { name: "palette", pull: "clone", put: false }, sort: false,
          forceFallback: true };
      },
      dropSortConfig() {
        return { group: { name: this.$el.dataset.group, pull: false, put: ["palette"] },
          forceFallback: true,
          onAdd(event) {
            // The x-for renders the new field: drop the dragged palette button and bring its
            // copy left in the palette to life (a DOM clone has no Alpine bindings).
            event.item.remove();
            if (event.clone && event.clone.isConnected) { window.Alpine.initTree(event.clone); }
          } };
      },
      noop() {},
      dropOnCanvas(key, position) {
        if (typeof key === "string" && key.startsWith("palette:")) {
          const field = newField(key.slice(8));
          this.fields.splice(position, 0, field);
          this.selectedKey = field.key;
          this.selectedColumnKey = "";
          return;
        }
        this.reorder(key, position);
      },
      dropOnColumns(key, position) {
        if (typeof key === "string" && key.startsWith("palette:")) {
          const type = key.slice(8);
          if (type === "table") { return; }
          const column = newField(type);
          this.field.columns.splice(position, 0, column);
          this.selectedKey = this.field.key;
          this.selectedColumnKey = column.key;
          return;
        }
        this.reorderColumns(key, position);
      },
      reorder(key, position) {
        const index = this.fields.findIndex((field) => field.key === key);
        if (index < 0) { return; }
        const [moved] = this.fields.splice(index, 1);
        this.fields.splice(position, 0, moved);
      },
      reorderColumns(key, position) {
        const columns = this.field.columns;
        const index = columns.findIndex((column) => column.key === key);
        if (index < 0) { return; }
        const [moved] = columns.splice(index, 1);
        columns.splice(position, 0, moved);
      },
      select() { this.selectedKey = this.field.key; this.selectedColumnKey = ""; },
      selectColumn() { this.selectedKey = this.field.key; this.selectedColumnKey = this.column.key; },
      isSelected() { return this.selectedKey === this.field.key && !this.selectedColumnKey; },
      isColumnSelected() { return this.selectedColumnKey === this.column.key; },
      isTable() { return this.field.type === "table"; },
      typeLabel() { return TYPE_LABELS[this.field.type] || this.field.type; },
      columnTypeLabel() { return TYPE_LABELS[this.column.type] || this.column.type; },
      fieldError() {
        const key = this.field.key;
        const hit = Object.keys(this.errors).find((path) => path === key
          || path.startsWith(`${key}.`) || path.startsWith(`${key}[`));
        return hit ? this.errors[hit] : "";
      },
      cardClass() {
        return [this.isSelected() ? "border-primary" : "", this.fieldError() ? "border-danger" : ""].join(" ");
      },
      // properties panel
      get table() { return this.fields.find((field) => field.key === this.selectedKey) || null; },
      get selected() {
        const field = this.table;
        if (!field) { return null; }
        if (this.selectedColumnKey) {
          return (field.columns || []).find((column) => column.key === this.selectedColumnKey) || null;
        }
        return field;
      },
      hasSelection() { return this.selected !== null; },
      keyValue() { return this.selected ? this.selected.key : ""; },
      renameKey() {
        // Keys are chosen while designing; the selection follows the renamed field.
        const target = this.selected;
        const key = this.$el.value.trim();
        target.key = key;
        if (this.selectedColumnKey) { this.selectedColumnKey = key; } else { this.selectedKey = key; }
      },
      showFor() {
        const types = (this.$el.dataset.types || "").split(",");
        return this.selected !== null && types.includes(this.selected.type);
      },
      selectedTypeLabel() { return this.selected ? TYPE_LABELS[this.selected.type] : ""; },
      optionsText() {
        return ((this.selected && this.selected.options) || []).map((option) => option.label).join("\n");
      },
      setOptions() {
        this.selected.options = this.$el.value.split("\n").map((line) => line.trim())
          .filter((line) => line !== "").map((line) => ({ value: line, label: line }));
      },
      totalsText() { return ((this.selected && this.selected.totals) || []).join(","); },
      setTotals() {
        this.selected.totals = this.$el.value.split(/[,，\s]+/).filter((item) => item !== "");
      },
      acceptHas() {
        const accept = (this.selected && this.selected.accept) || ["pdf", "word", "excel", "jpg", "png"];
        return accept.includes(this.$el.dataset.kind);
      },
      toggleAccept() {
        const current = this.selected.accept || ["pdf", "word", "excel", "jpg", "png"];
        const kind = this.$el.dataset.kind;
        this.selected.accept = this.$el.checked ? [...new Set([...current, kind])]
          : current.filter((item) => item !== kind);
      },
      setNumber() {
        const value = this.$el.value.trim();
        const name = this.$el.dataset.prop;
        if (value === "") { delete this.selected[name]; } else { this.selected[name] = Number(value); }
      },
      numberValue() {
        const value = this.selected ? this.selected[this.$el.dataset.prop] : undefined;
        return value === undefined || value === null ? "" : String(value);
      },
      addColumn() {
        const table = this.table;
        if (!table || table.type !== "table") { return; }
        const column = newField(this.newColumnType);
        table.columns.push(column);
        this.selectedColumnKey = column.key;
      },
      removeSelected() {
        if (this.selectedColumnKey) {
          const table = this.table;
          table.columns = table.columns.filter((column) => column.key !== this.selectedColumnKey);
          this.selectedColumnKey = "";
          return;
        }
        this.fields = this.fields.filter((field) => field.key !== this.selectedKey);
        this.selectedKey = "";
      },
      availableKeys() {
        const keys = [];
        this.fields.forEach((field) => {
          if (field.type === "table") {
            (field.columns || []).forEach((column) => keys.push(`${field.key}.${column.key}（${field.label}·${column.label}）`));
          } else if (field.type !== "description") {
            keys.push(`${field.key}（${field.label}）`);
          }
        });
        return keys.join("  ");
      },
      // conditional visibility / required: rows of field · operator · value, joined by AND/OR
      setting() { return this.$el.closest("[data-setting]").dataset.setting; },
      rowsOf(setting) {
        const condition = this.selected && this.selected[setting];
        if (!condition) { return []; }
        return condition.all || condition.any || (condition.field ? [condition] : []);
      },
      get visibleRows() { return this.rowsOf("visible_when"); },
      get requiredRows() { return this.rowsOf("required_when"); },
      conditionRows() { return this.rowsOf(this.setting()); },
      hasConditions() { return this.conditionRows().length > 0; },
      operands() {
        const selected = this.selected;
        if (!selected) { return []; }
        const siblings = this.selectedColumnKey ? (this.table.columns || []) : this.fields;
        return siblings.filter((item) => item.key !== selected.key && item.type !== "description"
          && item.type !== "table").map((item) => ({ key: item.key, label: item.label || item.key }));
      },
      operandOf(key) {
        const siblings = this.selectedColumnKey ? (this.table.columns || []) : this.fields;
        return siblings.find((item) => item.key === key) || null;
      },
      addCondition() {
        const setting = this.setting();
        const first = this.operands()[0];
        if (!first) { return; }
        const operand = this.operandOf(first.key);
        const row = { field: first.key, op: OPS[opKind(operand.type)][0], value: "" };
        const condition = this.selected[setting];
        if (!condition) {
          this.selected[setting] = { all: [row] };
        } else if (condition.all || condition.any) {
          (condition.all || condition.any).push(row);
        } else {
          this.selected[setting] = { all: [condition, row] };
        }
      },
      removeCondition() {
        const setting = this.setting();
        const rows = this.rowsOf(setting).filter((row) => row !== this.row);
        const mode = this.selected[setting] && this.selected[setting].any ? "any" : "all";
        if (rows.length === 0) { delete this.selected[setting]; } else { this.selected[setting] = { [mode]: rows }; }
      },
      modeIsAny() {
        const condition = this.selected && this.selected[this.setting()];
        return Boolean(condition && condition.any);
      },
      modeIsAll() { return !this.modeIsAny(); },
      setMode() {
        const setting = this.setting();
        const rows = this.rowsOf(setting);
        if (rows.length) { this.selected[setting] = { [this.$el.value]: rows }; }
      },
      operandChosen() { return this.row.field === this.operand.key; },
      setRowField() {
        this.row.field = this.$el.value;
        const operand = this.operandOf(this.row.field);
        this.row.op = OPS[opKind(operand ? operand.type : "")][0];
        this.row.value = "";
      },
      rowOps() {
        const operand = this.operandOf(this.row.field);
        return OPS[opKind(operand ? operand.type : "")].map((op) => ({ op, label: OP_LABELS[op] }));
      },
      opChosen() { return this.row.op === this.choice.op; },
      setRowOp() {
        this.row.op = this.$el.value;
        if (NO_VALUE.has(this.row.op)) { delete this.row.value; } else if (this.row.value === undefined) { this.row.value = ""; }
      },
      needsValue() { return !NO_VALUE.has(this.row.op); },
      rowOptions() {
        const operand = this.operandOf(this.row.field);
        return operand && operand.options ? operand.options : [];
      },
      hasRowOptions() { return this.needsValue() && this.rowOptions().length > 0; },
      hasFreeValue() { return this.needsValue() && this.rowOptions().length === 0; },
      valueChosen() { return String(this.row.value) === String(this.option.value); },
      rowValue() { return this.row.value === undefined || this.row.value === null ? "" : String(this.row.value); },
      setRowValue() { this.row.value = this.$el.value; },
      // preview, save, publish
      isPhone() { return this.previewMode === "phone"; },
      showPhone() { this.previewMode = "phone"; },
      showDesktop() { this.previewMode = "desktop"; },
      previewClass() { return this.previewMode === "phone" ? "designer-phone" : "designer-desktop"; },
      schedulePreview() {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.refreshPreview(), 400);
      },
      payload() {
        return JSON.stringify({ schema: { fields: this.fields }, sop_instructions: this.sop });
      },
      async post(url) {
        return fetch(url, {
          method: "POST", body: this.payload(), credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(this.$root) },
        });
      },
      async refreshPreview() {
        const response = await this.post(this.$root.dataset.previewUrl);
        this.$refs.preview.innerHTML = await response.text();
      },
      async save() {
        const response = await this.post(this.$root.dataset.saveUrl);
        const body = await response.json();
        const errors = {};
        (body.errors || []).forEach((error) => { errors[error.field] = error.message; });
        this.errors = errors;
        this.message = body.message || "";
        this.messageClass = body.ok ? "alert alert-success" : "alert alert-danger";
        return body.ok;
      },
      async publish() {
        if (await this.save()) { this.$refs.publishForm.submit(); }
      },
    }));
  });
})();
