// The demo EHR's ordering screen (baclofen-cds demo). Plain JavaScript, no dependencies.
//
// It keeps the open chart's orders in memory, sends real CDS Hooks requests to this service
// (patient-view on opening, order-select on a change, order-sign on signing), shows the cards
// the server renders from the answer, applies accepted suggestions to the orders (every action:
// create, update, delete; the whole resource, every dosage step), and sends CDS Hooks feedback.
// Text from answers and records only ever reaches the page as textContent, or as HTML the
// server rendered with escaping (the chart summary, the cards).
"use strict";

(() => {
  const SERVICES = {
    "order-select": "baclofen-order-select",
    "order-sign": "baclofen-order-sign",
    "patient-view": "baclofen-patient-view",
  };
  const SNOMED = "http://snomed.info/sct";
  const RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
  const UCUM = "http://unitsofmeasure.org";
  const DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type";
  const ROUTES = { "26643006": "Oral route", "72607000": "Intrathecal route" };
  const FREQUENCIES = { 1: "once daily", 2: "twice daily", 3: "three times daily", 4: "four times daily" };
  const STOP_STATUSES = new Set(["stopped", "cancelled", "completed", "on-hold"]);
  const MAX_EXCHANGES = 30;
  const PER_DAY = { h: 24, d: 1, wk: 1 / 7, mo: 1 / 30, a: 1 / 365 };

  const $ = (id) => document.getElementById(id);
  let chart = null; // the open example: context, prefetch, drafts, selected draft id
  let answer = null; // the answer whose cards are shown: {hook, serviceId, cards}
  let overriding = null; // the card the override dialog is for
  let calls = 0; // hook calls sent; an answer older than the latest is not shown
  let counter = 0;

  // ---- small helpers -----------------------------------------------------------------------

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function element(tag, options = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(options)) {
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function say(message, isError = false) {
    const status = $("status");
    status.textContent = message;
    status.classList.toggle("error", isError);
  }

  function number(value) {
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
  }

  function today() {
    return new Date().toISOString().slice(0, 10);
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let payload = text;
    try {
      payload = JSON.parse(text);
    } catch (_) {
      // not JSON: shown as text in the developer panel
    }
    return { ok: response.ok, status: response.status, payload };
  }

  // ---- the developer panel -----------------------------------------------------------------

  function logExchange(title, request, response) {
    const pretty = (value) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));
    const entry = element(
      "li",
      {},
      element(
        "details",
        {},
        element("summary", { text: title }),
        element("h3", { text: "Request" }),
        element("pre", { tabindex: "0", text: pretty(request) }),
        element("h3", { text: "Answer" }),
        element("pre", { tabindex: "0", text: pretty(response) }),
      ),
    );
    const list = $("exchanges");
    list.prepend(entry);
    while (list.children.length > MAX_EXCHANGES) list.lastElementChild.remove();
  }

  // ---- orders --------------------------------------------------------------------------------

  function medicationEntries() {
    const bundle = chart.prefetch.medications;
    return bundle && Array.isArray(bundle.entry) ? bundle.entry : [];
  }

  function activeOrders() {
    return medicationEntries()
      .map((entry) => entry.resource)
      .filter((r) => r && r.resourceType === "MedicationRequest" && chart.activeBaclofen.has(r.id))
      .filter((r) => r.status === "active" || r.status === "on-hold");
  }

  function label(resource) {
    const concept = resource.medicationCodeableConcept || resource.code || {};
    const coding = (concept.coding || [])[0] || {};
    return concept.text || coding.display || coding.code || resource.resourceType;
  }

  function doseOf(line) {
    const quantity = ((line.doseAndRate || [])[0] || {}).doseQuantity;
    return quantity && typeof quantity.value === "number" ? quantity : null;
  }

  function perDay(line) {
    const repeat = (line.timing || {}).repeat || {};
    const frequency = repeat.frequency || 1;
    const period = repeat.period || 1;
    return (frequency / period) * (PER_DAY[repeat.periodUnit || "d"] || 1);
  }

  // The dosage as steps: lines grouped by sequence, each with its daily dose and length.
  function stepsOf(resource) {
    const groups = new Map();
    for (const line of resource.dosageInstruction || []) {
      const key = line.sequence || 1;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(line);
    }
    return Array.from(groups.keys())
      .sort((a, b) => a - b)
      .map((key) => {
        const lines = groups.get(key);
        let daily = 0;
        let unit = "";
        let days = null;
        for (const line of lines) {
          const dose = doseOf(line);
          if (dose) {
            daily += dose.value * perDay(line);
            unit = dose.unit || dose.code || unit;
          }
          const bounds = ((line.timing || {}).repeat || {}).boundsDuration;
          if (bounds && typeof bounds.value === "number") days = `${number(bounds.value)} ${bounds.unit || "days"}`;
        }
        return { lines, daily, unit, days, text: stepText(lines) };
      });
  }

  // "30 mg + 20 mg + 20 mg" for the lines of an uneven day ("30 mg + 20 mg + 20 mg: 30 mg in
  // the morning", ...), each line's text otherwise, or the dose and frequency when unwritten.
  function stepText(lines) {
    const texts = lines.map((line) => line.text || lineText(line)).filter(Boolean);
    const heads = texts.map((text) => text.slice(0, Math.max(text.lastIndexOf(": "), 0)));
    if (texts.length > 1 && heads[0] && heads.every((head) => head === heads[0])) return heads[0];
    return texts.join("; ");
  }

  function lineText(line) {
    const dose = doseOf(line);
    if (!dose) return "";
    const frequency = ((line.timing || {}).repeat || {}).frequency || 1;
    return `${number(dose.value)} ${dose.unit || dose.code || ""} ${FREQUENCIES[frequency] || `${frequency} times a day`}`;
  }

  function dailyText(step) {
    return step.unit ? `${number(step.daily)} ${step.unit}/day` : "dose not given";
  }

  function kindOf(draft) {
    if (draft.resourceType !== "MedicationRequest") return `${draft.resourceType} (new)`;
    const prior = ((draft.priorPrescription || {}).reference || "").split("/").pop();
    if (STOP_STATUSES.has(draft.status)) return prior ? `stop of ${prior}` : `${draft.status}`;
    return prior ? `change of ${prior}` : "new order";
  }

  function stepsTable(steps) {
    const body = element("tbody");
    steps.forEach((step, index) => {
      body.append(
        element(
          "tr",
          {},
          element("td", { text: String(index + 1) }),
          element("td", { text: step.text || "" }),
          element("td", { text: dailyText(step) }),
          element("td", { text: step.days || "continue" }),
        ),
      );
    });
    const head = element("thead");
    const row = element("tr");
    for (const title of ["Step", "How", "Per day", "For"]) row.append(element("th", { scope: "col", text: title }));
    head.append(row);
    return element("table", { className: "steps" }, element("caption", { text: "Dosage steps" }), head, body);
  }

  function orderItem(resource, kind, buttons) {
    const steps = stepsOf(resource);
    const item = element("li", { className: "order", "data-id": resource.id });
    item.append(element("span", { className: "order-label", text: label(resource) }));
    item.append(element("span", { className: "order-kind", text: kind }));
    if (steps.length === 1) {
      item.append(element("span", { className: "order-dose", text: `${steps[0].text || ""} · ${dailyText(steps[0])}` }));
    } else if (steps.length > 1) {
      const dailies = steps.map((step) => number(step.daily));
      item.append(
        element("span", {
          className: "order-dose",
          text: `Schedule of ${steps.length} steps: ${dailies.join(" → ")} ${steps[0].unit}/day`,
        }),
      );
      item.append(stepsTable(steps));
    }
    const actions = element("span", { className: "order-actions" });
    for (const button of buttons) actions.append(button);
    item.append(actions);
    return item;
  }

  function button(text, onClick, options = {}) {
    const node = element("button", { type: "button", ...options, text });
    node.addEventListener("click", onClick);
    return node;
  }

  function selectedDraft() {
    return chart.drafts.find((draft) => draft.id === chart.selected) || null;
  }

  function editable(draft) {
    return (
      draft &&
      draft.resourceType === "MedicationRequest" &&
      chart.baclofenDrafts.has(draft.id) &&
      !STOP_STATUSES.has(draft.status)
    );
  }

  function renderOrders() {
    const active = $("active-orders");
    active.replaceChildren();
    for (const order of activeOrders()) {
      const name = label(order);
      active.append(
        orderItem(order, order.status, [
          button("Change", () => changeOrder(order), { "aria-label": `Change ${name}` }),
          button("Stop", () => stopOrder(order), { "aria-label": `Stop ${name}` }),
        ]),
      );
    }
    if (!active.children.length) active.append(element("li", { className: "muted", text: "No active baclofen order." }));

    const drafts = $("drafts");
    drafts.replaceChildren();
    for (const draft of chart.drafts) {
      const name = label(draft);
      const buttons = [];
      if (editable(draft)) {
        buttons.push(
          button("Edit", () => select(draft.id), {
            "aria-label": `Edit ${name}`,
            "aria-pressed": String(draft.id === chart.selected),
          }),
        );
      }
      buttons.push(button("Remove", () => removeDraft(draft.id), { "aria-label": `Remove ${name}` }));
      const item = orderItem(draft, kindOf(draft), buttons);
      if (draft.id === chart.selected) item.classList.add("selected");
      drafts.append(item);
    }
    if (!drafts.children.length) drafts.append(element("li", { className: "muted", text: "No order being written." }));
    $("sign").disabled = chart.drafts.length === 0;
    fillForm();
  }

  function fillForm() {
    const draft = selectedDraft();
    const form = $("order-form");
    if (!editable(draft)) {
      form.hidden = true;
      return;
    }
    form.hidden = false;
    $("order-form-title").textContent = `Draft order ${draft.id} (${kindOf(draft)})`;
    const coding = ((draft.medicationCodeableConcept || {}).coding || []).find((c) => c.system === RXNORM);
    const product = $("product");
    const known = coding && Array.from(product.options).some((o) => o.value === coding.code);
    const asWritten = $("product-as-written");
    asWritten.hidden = known;
    asWritten.textContent = `as written: ${label(draft)}`;
    product.value = known ? coding.code : "";
    const steps = stepsOf(draft);
    const first = (draft.dosageInstruction || [])[0] || {};
    const dose = doseOf(first);
    $("dose").value = dose ? String(dose.value) : "";
    $("dose-unit").textContent = dose ? dose.unit || dose.code : unitFor(product);
    const frequency = ((first.timing || {}).repeat || {}).frequency;
    $("frequency").value = FREQUENCIES[frequency] ? String(frequency) : "3";
    const route = (((first.route || {}).coding || [])[0] || {}).code;
    $("route").value = ROUTES[route] ? route : "26643006";
    $("schedule-note").hidden = steps.length < 2 && (draft.dosageInstruction || []).length < 2;
  }

  function unitFor(product) {
    const option = product.selectedOptions[0];
    return option && option.dataset.form === "intrathecal" ? "mcg" : "mg";
  }

  // The form written back into the draft: one dosage line, as an EHR's order form makes it.
  function applyForm() {
    const draft = selectedDraft();
    if (!editable(draft)) return false;
    const product = $("product");
    const option = product.selectedOptions[0];
    if (option && option.value) {
      draft.medicationCodeableConcept = {
        coding: [{ system: RXNORM, code: option.value, display: option.dataset.display }],
        text: option.dataset.display,
      };
    }
    const dose = Number($("dose").value);
    if (!(dose > 0)) {
      say("Enter a dose greater than 0.", true);
      return false;
    }
    const frequency = Number($("frequency").value);
    const route = $("route").value;
    const unit = $("dose-unit").textContent || "mg";
    draft.dosageInstruction = [
      {
        text: `${number(dose)} ${unit} ${FREQUENCIES[frequency]}`,
        timing: { repeat: { frequency, period: 1, periodUnit: "d" } },
        route: { coding: [{ system: SNOMED, code: route, display: ROUTES[route] }] },
        doseAndRate: [
          {
            type: { coding: [{ system: DOSE_RATE_TYPE, code: "ordered" }] },
            doseQuantity: { value: dose, unit, system: UCUM, code: unit === "mcg" ? "ug" : unit },
          },
        ],
      },
    ];
    return true;
  }

  function select(id) {
    chart.selected = id;
    renderOrders();
    $("product").focus();
  }

  function newDraft(base, fields) {
    const draft = {
      ...structuredClone(base),
      resourceType: "MedicationRequest",
      id: `demo-${++counter}`,
      intent: "order",
      subject: { reference: `Patient/${chart.context.patientId}` },
      authoredOn: today(),
      ...fields,
    };
    chart.drafts.push(draft);
    chart.baclofenDrafts.add(draft.id);
    chart.selected = draft.id;
    return draft;
  }

  async function newOrder() {
    newDraft(
      {
        medicationCodeableConcept: {
          coding: [{ system: RXNORM, code: "197391", display: "baclofen 10 MG Oral Tablet" }],
          text: "baclofen 10 MG Oral Tablet",
        },
      },
      { status: "draft" },
    );
    renderOrders();
    $("dose").value = "5";
    $("frequency").value = "3";
    $("route").value = "26643006";
    $("product").value = "197391";
    $("dose-unit").textContent = "mg";
    applyForm();
    renderOrders();
    $("product").focus();
    await checkSelected();
  }

  async function changeOrder(order) {
    newDraft(order, { status: "draft", priorPrescription: { reference: `MedicationRequest/${order.id}` } });
    renderOrders();
    $("dose").focus();
    await checkSelected();
  }

  async function stopOrder(order) {
    newDraft(order, { status: "stopped", priorPrescription: { reference: `MedicationRequest/${order.id}` } });
    renderOrders();
    await checkSelected();
  }

  function removeDraft(id) {
    chart.drafts = chart.drafts.filter((draft) => draft.id !== id);
    chart.selections = chart.selections.filter((reference) => reference.split("/").pop() !== id);
    if (chart.selected === id) {
      const next = chart.drafts.find((draft) => editable(draft));
      chart.selected = next ? next.id : null;
    }
    renderOrders();
    say("Draft removed. Sign or change an order to check again.");
  }

  async function checkSelected() {
    const draft = selectedDraft();
    if (!draft) return;
    chart.selections = [`${draft.resourceType}/${draft.id}`];
    await runHook("order-select");
  }

  // ---- CDS Hooks calls ---------------------------------------------------------------------

  function hookRequest(hook) {
    const context = { ...chart.context };
    if (hook !== "patient-view") {
      context.draftOrders = {
        resourceType: "Bundle",
        type: "collection",
        entry: chart.drafts.map((resource) => ({ resource })),
      };
    }
    if (hook === "order-select") context.selections = chart.selections;
    return { hook, hookInstance: uuid(), context, prefetch: chart.prefetch };
  }

  async function runHook(hook) {
    const serviceId = SERVICES[hook];
    const request = hookRequest(hook);
    const call = ++calls;
    say(`Calling ${hook}…`);
    let result;
    try {
      result = await postJson(`cds-services/${serviceId}`, request);
    } catch (error) {
      say(`${hook} failed: ${error.message}`, true);
      return;
    }
    const cards = result.ok && Array.isArray(result.payload.cards) ? result.payload.cards : [];
    logExchange(
      `${hook}: POST /cds-services/${serviceId} → ${result.status}${result.ok ? `, ${cards.length} card(s)` : ""}`,
      request,
      result.payload,
    );
    if (call !== calls) return; // a later call's answer will be shown
    if (!result.ok) {
      const issue = ((result.payload || {}).issue || [])[0] || {};
      say(`${hook} was refused (${result.status}): ${issue.diagnostics || "see the developer panel"}`, true);
      return;
    }
    const rendered = await fetch("demo/cards", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ cards }),
    });
    if (call !== calls) return;
    answer = { hook, serviceId, cards };
    // Rendered by the server with every value escaped (service/api/demo/cards.py).
    $("cards").innerHTML = await rendered.text();
    const time = new Date().toLocaleTimeString();
    $("cards-origin").textContent = `${hook} at ${time}: ${cards.length} card${cards.length === 1 ? "" : "s"}`;
    say(`${hook} answered ${cards.length} card${cards.length === 1 ? "" : "s"}.`);
  }

  async function sendFeedback(serviceId, item) {
    const body = { feedback: [item] };
    const result = await postJson(`cds-services/${serviceId}/feedback`, body);
    logExchange(`feedback (${item.outcome}): POST /cds-services/${serviceId}/feedback → ${result.status}`, body, result.payload);
    if (!result.ok) say(`The feedback was refused (${result.status}): see the developer panel.`, true);
    return result.ok;
  }

  // ---- accepting a suggestion ----------------------------------------------------------------

  function targetId(action) {
    const reference = action.resourceId || (action.resource ? `${action.resource.resourceType}/${action.resource.id}` : "");
    return String(reference).split("/").pop();
  }

  // One action, as an EHR applies it: in an ordering hook every resource is a pending order
  // (an update of an active order, a stop, is one more pending order); in patient-view an
  // update rewrites the chart's active order, which the clinician then signs.
  function applyAction(action, hook, touched) {
    if (action.type === "delete") {
      const id = targetId(action);
      chart.drafts = chart.drafts.filter((draft) => draft.id !== id);
      chart.selections = chart.selections.filter((reference) => reference.split("/").pop() !== id);
      if (chart.selected === id) chart.selected = null;
      return;
    }
    const resource = action.resource ? structuredClone(action.resource) : null;
    if (!resource) return;
    if (!resource.id) resource.id = `demo-${++counter}`;
    if (hook === "patient-view" && resource.resourceType === "MedicationRequest") {
      const entry = medicationEntries().find((e) => e.resource && e.resource.id === resource.id);
      if (entry) {
        entry.resource = { ...resource, status: "active" };
        return;
      }
    }
    const index = chart.drafts.findIndex((d) => d.id === resource.id && d.resourceType === resource.resourceType);
    if (index >= 0) chart.drafts[index] = resource;
    else chart.drafts.push(resource);
    if (resource.resourceType === "MedicationRequest") {
      chart.baclofenDrafts.add(resource.id);
      if (!STOP_STATUSES.has(resource.status)) touched.push(resource.id);
    }
    const reference = `${resource.resourceType}/${resource.id}`;
    if (index < 0 && hook === "order-select" && !chart.selections.includes(reference)) chart.selections.push(reference);
  }

  async function accept(cardId, suggestionId) {
    if (!answer) return;
    const { hook, serviceId } = answer;
    const card = answer.cards.find((c) => c.uuid === cardId);
    const suggestion = card && (card.suggestions || []).find((s) => s.uuid === suggestionId);
    if (!suggestion) return;
    const touched = [];
    for (const action of suggestion.actions || []) applyAction(action, hook, touched);
    if (touched.length) chart.selected = touched[0];
    else if (!selectedDraft()) chart.selected = (chart.drafts.find((d) => editable(d)) || {}).id || null;
    renderOrders();
    say(`Accepted: ${suggestion.label}`);
    await sendFeedback(serviceId, {
      card: cardId,
      outcome: "accepted",
      acceptedSuggestions: [{ id: suggestionId }],
      outcomeTimestamp: new Date().toISOString(),
    });
    await runHook(hook);
    $("cards-title").focus();
  }

  // ---- overriding a card -----------------------------------------------------------------------

  function openOverride(cardId) {
    if (!answer) return;
    const card = answer.cards.find((c) => c.uuid === cardId);
    if (!card) return;
    overriding = { card, serviceId: answer.serviceId };
    $("override-summary").textContent = card.summary || "";
    const reasons = $("override-reasons");
    reasons.replaceChildren();
    (card.overrideReasons || []).forEach((reason, index) => {
      const id = `override-reason-${index}`;
      const input = element("input", { type: "radio", name: "reason", id, value: String(index) });
      reasons.append(element("div", { className: "reason" }, input, element("label", { for: id, text: reason.display || reason.code })));
    });
    $("override-reasons-set").hidden = !(card.overrideReasons || []).length;
    $("override-comment").value = "";
    $("override-error").textContent = "";
    $("override-dialog").showModal();
  }

  async function confirmOverride(event) {
    event.preventDefault();
    if (!overriding) return;
    const { card, serviceId } = overriding;
    const reasons = card.overrideReasons || [];
    const checked = document.querySelector('#override-reasons input[name="reason"]:checked');
    const comment = $("override-comment").value.trim();
    if (reasons.length && !checked) {
      $("override-error").textContent = "Choose one of the reasons.";
      return;
    }
    if (!reasons.length && !comment) {
      $("override-error").textContent = "This card offers no reasons: give a comment.";
      return;
    }
    const overrideReason = {};
    if (checked) overrideReason.reason = reasons[Number(checked.value)];
    if (comment) overrideReason.userComment = comment;
    $("override-dialog").close();
    overriding = null;
    const stored = await sendFeedback(serviceId, {
      card: card.uuid,
      outcome: "overridden",
      overrideReason,
      outcomeTimestamp: new Date().toISOString(),
    });
    if (!stored) return;
    const shown = Array.from(document.querySelectorAll("#cards article.card")).find((node) => node.dataset.card === card.uuid);
    if (shown) shown.remove();
    if (answer) answer.cards = answer.cards.filter((c) => c.uuid !== card.uuid);
    say(`Overridden: ${card.summary} (${overrideReason.reason ? overrideReason.reason.display || overrideReason.reason.code : "comment"})`);
    $("cards-title").focus();
  }

  function cancelOverride() {
    const card = overriding && overriding.card;
    overriding = null;
    $("override-dialog").close();
    if (!card) return;
    const opener = Array.from(document.querySelectorAll("#cards button.override")).find((b) => b.dataset.card === card.uuid);
    if (opener) opener.focus();
  }

  // ---- opening a chart -----------------------------------------------------------------------

  async function openExample(key) {
    say("Opening the chart…");
    const response = await fetch(`demo/examples/${encodeURIComponent(key)}`);
    if (!response.ok) {
      say(`Could not open the example (${response.status}).`, true);
      return;
    }
    const example = await response.json();
    const firstSelected = (example.selections[0] || "").split("/").pop();
    chart = {
      key,
      context: example.context,
      prefetch: example.prefetch,
      drafts: example.drafts,
      selections: example.selections,
      activeBaclofen: new Set(example.activeBaclofen),
      baclofenDrafts: new Set(example.baclofenDrafts),
      selected: firstSelected || example.baclofenDrafts[0] || null,
    };
    answer = null;
    $("cards").replaceChildren();
    $("cards-origin").textContent = "";
    // Rendered by the server with every value escaped (service/api/demo/chart.py).
    $("chart").innerHTML = example.chartHtml;
    $("workspace").hidden = false;
    renderOrders();
    await runHook("patient-view");
  }

  // ---- wiring --------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("cards-title").tabIndex = -1;
    $("pick").addEventListener("submit", (event) => {
      event.preventDefault();
      openExample($("example").value);
    });
    $("new-order").addEventListener("click", newOrder);
    $("sign").addEventListener("click", () => runHook("order-sign"));
    $("product").addEventListener("change", () => {
      const intrathecal = unitFor($("product")) === "mcg";
      $("dose-unit").textContent = intrathecal ? "mcg" : "mg";
      $("route").value = intrathecal ? "72607000" : "26643006";
    });
    const form = $("order-form");
    const changed = async () => {
      if (applyForm()) {
        renderOrders();
        await checkSelected();
      }
    };
    form.addEventListener("change", changed);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      changed();
    });
    $("cards").addEventListener("click", (event) => {
      const target = event.target.closest("button[data-action]");
      if (!target) return;
      if (target.dataset.action === "accept") accept(target.dataset.card, target.dataset.suggestion);
      if (target.dataset.action === "override") openOverride(target.dataset.card);
    });
    $("override-form").addEventListener("submit", confirmOverride);
    $("override-cancel").addEventListener("click", cancelOverride);
    $("override-dialog").addEventListener("cancel", () => {
      overriding = null;
    });
  });
})();
