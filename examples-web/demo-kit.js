// Helpers every demo page uses: finding elements by data-testid, the action runner, errors a
// person can read, strict reading of typed input, hex for bytes kept in localStorage, the demo's
// own bookkeeping in localStorage, local time. Pages import these; the rules they show are all in
// the SDK.
//
// A new page: bind every button with `actionRunner().bind(id, fn, { outcome, fields })` (its
// error then appears under the button's row, naming the field by its <label>; its outcome is
// emptied when it fails; it is disabled while it runs); read whole numbers with wholeNumber() and
// card numbers with cardNumber(); enable buttons from render() with setEnabled(); describe the
// page in tests/browser/pages.test.mjs so page-checks.mjs checks it like the others.

/** The element with `data-testid="<id>"` (a missing one is a bug in the page: say which). */
export const byTestId = (id) => {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`demo page is missing element data-testid="${id}"`);
  return el;
};
export const setText = (id, text) => {
  byTestId(id).textContent = text;
};
/** The trimmed value of an input. */
export const value = (id) => byTestId(id).value.trim();

export function demoError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(text) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) {
    throw demoError('DEMO_STATE_INVALID', 'the demo state in localStorage holds malformed hex; use "Reset demo"');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The page's error banner (errors of no particular control, e.g. restoring the stored state). */
export function showError(err) {
  setText('error-code', err?.code ?? err?.name ?? 'ERROR');
  setText('error-message', err?.message ?? String(err));
  byTestId('error-banner').hidden = false;
}

/** The banner shown when the WebAssembly module could not be loaded at all. */
export function showInitError(err) {
  const banner = byTestId('init-error');
  banner.textContent = `The countersign WebAssembly module could not be loaded: ${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}`;
  banner.hidden = false;
  const status = byTestId('sdk-status');
  status.dataset.state = 'failed';
  status.textContent = 'failed to load';
}

export function setSaveStatus(state, text) {
  const el = byTestId('save-status');
  el.dataset.state = state;
  el.textContent = text;
}

/**
 * The demo's bookkeeping from localStorage `key` (`fresh()` when absent); one written by another
 * version of the page, or not JSON, is refused with DEMO_STATE_INVALID ("Reset demo" clears it).
 */
export function loadDemoState(key, version, fresh) {
  const raw = localStorage.getItem(key);
  if (raw === null) return fresh();
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw demoError('DEMO_STATE_INVALID', 'the demo state in localStorage is not JSON; use "Reset demo"');
  }
  if (parsed?.version !== version || !Number.isSafeInteger(parsed.clock)) {
    throw demoError('DEMO_STATE_INVALID', 'the demo state in localStorage is from another version; use "Reset demo"');
  }
  return parsed;
}

const localTime = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});
/** Unix seconds as the browser's local date and time. */
export const formatLocal = (unix) => localTime.format(new Date(unix * 1000));

/**
 * The event log, newest first: `[time] actor text [CODE]`. `formatTime(unix)` renders the time;
 * `toneOf(entry)` the badge's colour class.
 */
export function renderLog(entries, formatTime, toneOf = (entry) => entry.tone ?? '') {
  byTestId('log').replaceChildren(
    ...entries
      .slice()
      .reverse()
      .map((entry) => {
        const li = document.createElement('li');
        li.dataset.testid = 'log-entry';
        const time = document.createElement('span');
        time.className = 'muted mono';
        time.textContent = formatTime(entry.clock);
        const actor = document.createElement('strong');
        actor.textContent = entry.actor;
        const text = document.createElement('span');
        text.textContent = entry.text;
        li.append(time, ' ', actor, ' ', text);
        if (entry.code) {
          const badge = document.createElement('span');
          badge.className = `badge ${toneOf(entry)}`;
          badge.textContent = entry.code;
          li.append(' ', badge);
        }
        return li;
      }),
  );
}

export function hideError() {
  if (!document.querySelector('[data-testid="error-banner"]')) return; // a page without a banner
  byTestId('error-banner').hidden = true;
  setText('error-code', '');
  setText('error-message', '');
}

// ---------------------------------------------------------------------------------------------
// Errors a person can read, next to the control that caused them

/**
 * An error found by the page before it calls the SDK (an empty required field, `1e3` where a
 * whole number is asked). `field` is the data-testid of the input at fault: the error names it by
 * its visible label and marks it.
 */
export function fieldError(field, message, code = 'INVALID_INPUT') {
  const err = demoError(code, message);
  err.field = field;
  return err;
}

/**
 * The visible label of an input: the text of its <label> without the control's own text, prefixed
 * by its fieldset's legend when the label alone is ambiguous ("hard" → "daily count: hard").
 */
export function labelOf(input) {
  const label = input.closest('label') ?? (input.id ? document.querySelector(`label[for="${input.id}"]`) : null);
  let text = '';
  if (label) {
    for (const node of label.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) text += node.textContent;
      else if (node instanceof HTMLElement && !node.matches('input, select, textarea, option') && !node.querySelector('input, select, textarea')) {
        text += node.textContent;
      }
    }
  }
  text = text.replace(/\s+/g, ' ').trim() || input.getAttribute('aria-label') || input.dataset.testid || 'this field';
  const legend = input.closest('fieldset')?.querySelector('legend');
  if (legend) {
    const first = Array.from(legend.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim();
    if (first && !text.toLowerCase().includes(first.toLowerCase())) text = `${first}: ${text}`;
  }
  return text;
}

/** Drops the SDK's "countersign: " prefix and every leading repetition of the parameter path. */
function stripParam(message, param) {
  let text = String(message ?? '').replace(/^countersign:\s*/, '');
  const paths = new Set([param, param?.split('.').at(-1)].filter(Boolean));
  for (let again = true; again; ) {
    again = false;
    for (const path of paths) {
      for (const sep of [': ', ' ']) {
        if (text.startsWith(path + sep)) {
          text = text.slice(path.length + sep.length);
          again = true;
        }
      }
    }
  }
  // A serde message may arrive wrapped in another error's text.
  return text.replace(/^(?:Error|TypeError|RangeError):\s*/, '').trim();
}

/** SDK and serde wording in a person's words (the field's name comes before it). */
const PHRASES = [
  [/^invalid type: floating point `?NaN`?, expected .*$/, 'is empty: enter a whole number'],
  [/^invalid type: floating point `?(-?[\d.e+]+)`?, expected u\d+$/, 'must be a whole number (digits only, like 5)'],
  [/^invalid value: integer `(-\d+)`, expected u\d+$/, 'cannot be negative'],
  [/^invalid type: .*, expected (u\d+|i\d+|an integer).*$/, 'must be a whole number (digits only, like 5)'],
  [/^missing field `?([A-Za-z]+)`?.*$/, (_, f) => `is incomplete: “${f}” is required`],
  [/^must be a (?:bigint or a number|safe integer(?: or a bigint)?|number), got (?:string|NaN|undefined)$/, 'must be a whole number (digits only, like 5)'],
  [/^must be a safe integer, got .*$/, 'must be a whole number (digits only, like 5)'],
  [/^is empty: ""$/, 'is empty: enter an amount, like 12.50'],
  [/^"(.*)" has nonzero digits beyond the (\d+) fraction digits? of ([A-Z]+).*$/, (_, v, n, c) => `has too many decimals: ${c} amounts have at most ${n} (like 12.50), not “${v}”`],
  [/^unexpected character \(expected digits, an optional leading '-' and one '\.'\): "(.*)"$/, (_, v) => `must be an amount like 12.50 (digits and one “.”), not “${v}”`],
  [/^has more fraction digits than .* allows.*$/i, 'has too many decimals for the currency'],
  [/^"(.*)" is not a time zone.*$/, (_, v) => `must be a time zone like Europe/Paris (names are case-sensitive), not “${v}”`],
  [/^must be in \(0, 1\]$/, 'must be more than 0 and at most 1 (like 0.25)'],
  [/^must be 1\.\.=(\d+) UTF-8 bytes without control characters$/, (_, n) => `must be 1 to ${n} characters long`],
  [/^must be greater than zero(?:, got .*)?$/, 'must be more than 0'],
  [/^must not be negative$/, 'cannot be negative'],
  [/^are all zero.*$/, 'cannot all be 0: at least one must be more than 0'],
];

/** The person's sentence for an error's message (without the field's name). */
export function humanMessage(err) {
  const param = typeof err?.param === 'string' ? err.param : undefined;
  let text = stripParam(err?.message ?? String(err), param);
  for (const [pattern, replacement] of PHRASES) {
    if (pattern.test(text)) {
      text = text.replace(pattern, replacement);
      break;
    }
  }
  return text;
}

/**
 * The input an error is about: `err.field` (a data-testid set by the page), else the SDK's `param`
 * ("order.maximum", "request.amount", "ratios[0]") looked up in `fields` (param → data-testid), by
 * its full path first, then without its leading segments and without indexes.
 */
function fieldOf(err, fields) {
  if (typeof err?.field === 'string') return err.field;
  if (!fields) return null;
  const param = typeof err?.param === 'string' ? err.param : '';
  if (param) {
    const segments = param.replace(/\[\d+\]/g, '').split('.');
    for (let i = 0; i < segments.length; i++) {
      const key = segments.slice(i).join('.');
      if (Object.hasOwn(fields, key)) return fields[key];
    }
  }
  // An error of no parameter of its own (a time zone refused while applying a configuration).
  return Object.hasOwn(fields, `code:${err?.code}`) ? fields[`code:${err.code}`] : null;
}

/**
 * Some SDK messages carry the precise place inside a list in their text, under a broader
 * parameter: "limits: limits[0] (daily-amount): hard: …" is parameter "daily-amount.hard".
 */
function refine(err, fields) {
  const text = String(err?.message ?? '').replace(/^countersign:\s*/, '');
  if (typeof err?.field === 'string') return err;
  const match = /^(?:[\w.]+: )?[\w.]+\[\d+\] \(([\w-]+)\): ([\w.]+): (.*)$/s.exec(text);
  if (match) return { code: err.code, name: err.name, param: `${match[1]}.${match[2]}`, message: match[3] };
  // "limits[1] (daily-amount): soft must not exceed hard": the field when the page knows it
  // ("daily-amount.soft"), else the item by its name, never by its index.
  const item = /^(?:[\w.]+: )?[\w.]+\[\d+\] \(([\w-]+)\): (.*)$/s.exec(text);
  if (item) {
    const word = /^(\w+) (.*)$/s.exec(item[2]);
    if (word && fields && Object.hasOwn(fields, `${item[1]}.${word[1]}`)) {
      return { code: err.code, name: err.name, param: `${item[1]}.${word[1]}`, message: word[2] };
    }
    return { code: err.code, name: err.name, param: undefined, message: `${item[1]}: ${item[2]}` };
  }
  return err;
}

/** "“maximum, EUR” must be an amount like 12.50 …": an error in words, naming the field by its label. */
export function describeError(thrown, fields) {
  const err = refine(thrown, fields);
  const field = fieldOf(err, fields);
  const input = field ? document.querySelector(`[data-testid="${field}"]`) : null;
  let sentence = humanMessage(err);
  if (input) sentence = `“${labelOf(input)}” ${sentence}`;
  else if (sentence) sentence = sentence[0].toUpperCase() + sentence.slice(1);
  if (sentence && !/[.!?]$/.test(sentence)) sentence += '.';
  return { code: err?.code ?? err?.name ?? 'ERROR', message: sentence, field: input ? field : null };
}

/**
 * The error slot of a control: `<div data-testid="<control>-error">` right after the row that holds
 * it, made on first use (or the page's own `<prefix>-error-code` / `<prefix>-error-message` pair).
 */
function errorSlot(control, prefix) {
  if (prefix) return { code: byTestId(`${prefix}-error-code`), message: byTestId(`${prefix}-error-message`), box: null };
  const id = `${control.dataset.testid}-error`;
  let box = document.querySelector(`[data-testid="${id}"]`);
  if (!box) {
    box = document.createElement('div');
    box.className = 'action-error';
    box.dataset.testid = id;
    box.setAttribute('role', 'alert');
    box.hidden = true;
    const code = document.createElement('span');
    code.className = 'badge bad';
    code.dataset.testid = `${id}-code`;
    const message = document.createElement('span');
    message.className = 'error-message';
    message.dataset.testid = `${id}-message`;
    box.append(code, ' ', message);
    (control.closest('.row') ?? control).after(box);
  }
  return { code: box.querySelector('.badge'), message: box.querySelector('.error-message'), box };
}

/** Scrolls `el` to the middle of the window unless it is already in view and not covered (by a sticky panel). */
function showInView(el) {
  const rect = el.getBoundingClientRect();
  const inside = rect.top >= 0 && rect.bottom <= window.innerHeight;
  const probe = inside ? document.elementFromPoint(rect.left + Math.min(rect.width / 2, 20), rect.top + Math.min(rect.height / 2, 10)) : null;
  if (!inside || !(probe && el.contains(probe))) el.scrollIntoView({ block: 'center' });
}

function clearSlot(slot) {
  slot.code.textContent = '';
  slot.message.textContent = '';
  if (slot.box) slot.box.hidden = true;
}

function clearInvalid(scope) {
  for (const el of scope.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
}

/** Empties an outcome element (text, badge colour, data-*): the last result no longer stands. */
export function clearOutcome(id) {
  const el = byTestId(id);
  if (el.matches('input, textarea, select')) return;
  el.textContent = '';
  el.classList.remove('ok', 'bad', 'warn');
  for (const key of Object.keys(el.dataset)) if (key !== 'testid') delete el.dataset[key];
}

/**
 * Page actions, run one at a time. `bind(controlId, fn, { outcome, fields, errors })`:
 *
 *   * the control is disabled while its action runs (a second click is refused, not queued);
 *   * an error appears right under the control's row (`<controlId>-error`, or the page's
 *     `<errors>-error-code` / `-message` pair), in words, naming the field by its visible label
 *     (`fields` maps SDK parameter paths to input data-testids) and marking that input;
 *   * on failure the `outcome` elements (data-testids) are emptied: no stale result stays beside
 *     the control;
 *   * then `afterEach()` (the page's persistence) and `render()`.
 *
 * An action with no control (start-up) reports in the page's banner. `<body data-step>` counts
 * finished actions and `data-busy` says one is running: the browser tests wait on them.
 */
export function actionRunner({ render = () => {}, afterEach = async () => {} } = {}) {
  let queue = Promise.resolve();
  let steps = 0;
  let running = 0;
  const slots = new Map(); // every error slot used so far, by its message element: one error shows at a time
  const run = (fn, control = null, options = {}) => {
    const slot = control ? errorSlot(control, options.errors) : null;
    const wasDisabled = control?.disabled ?? false;
    if (control) {
      control.disabled = true; // at once, before the queue: no double submit
      control.dataset.running = 'true'; // and setEnabled() keeps it so while the action renders
    }
    running += 1;
    document.body.dataset.busy = 'true';
    if (slot) slots.set(slot.message, slot);
    queue = queue.then(async () => {
      for (const old of slots.values()) clearSlot(old);
      hideError();
      clearInvalid(document);
      const fail = (err) => {
        for (const id of options.outcome ?? []) clearOutcome(id);
        const { code, message, field } = describeError(err, options.fields);
        if (!slot) {
          showError({ code, message });
          return;
        }
        slot.code.textContent = code;
        slot.message.textContent = message;
        if (slot.box) slot.box.hidden = false;
        const input = field ? byTestId(field) : null;
        input?.setAttribute('aria-invalid', 'true');
        showInView(slot.box ?? slot.message);
      };
      try {
        await fn();
        await afterEach();
      } catch (err) {
        fail(err);
      }
      if (control) {
        delete control.dataset.running;
        control.disabled = wasDisabled;
      }
      try {
        render();
      } catch (err) {
        fail(err);
      }
      steps += 1;
      running -= 1;
      document.body.dataset.step = String(steps);
      document.body.dataset.busy = running > 0 ? 'true' : 'false';
    });
    return queue;
  };
  const action = (fn) => () => run(fn);
  const bind = (testId, fn, options = {}) => {
    const control = byTestId(testId);
    control.addEventListener('click', () => {
      if (control.disabled || control.dataset.running === 'true') return;
      run(fn, control, options);
    });
  };
  return { action, bind };
}

/**
 * Enables or disables a control from the page's render(), except that a control whose action is
 * running stays disabled (a render in the middle of a long action must not re-arm it).
 */
export function setEnabled(id, enabled) {
  const el = byTestId(id);
  el.disabled = !enabled || el.dataset.running === 'true';
}

// ---------------------------------------------------------------------------------------------
// Reading what people type

/** The text of an input, or a field error naming it when it is empty and required. */
export function required(id, what = 'is empty: fill it in') {
  const text = value(id);
  if (text === '') throw fieldError(id, what);
  return text;
}

/**
 * A whole number typed in an input: digits only (no `1e3`, no `-5`, no `2.5`), at least `min`.
 * Empty gives `undefined` when `optional`, else an error naming the field.
 */
export function wholeNumber(id, { min = 0, max = Number.MAX_SAFE_INTEGER, optional = false } = {}) {
  const text = value(id);
  if (text === '') {
    if (optional) return undefined;
    throw fieldError(id, 'is empty: enter a whole number');
  }
  if (/^-\s*\d/.test(text)) throw fieldError(id, 'cannot be negative');
  if (!/^\d+$/.test(text)) throw fieldError(id, `must be a whole number (digits only, like 5), not “${text}”`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > max) throw fieldError(id, `must be at most ${max}`);
  if (n < min) throw fieldError(id, `must be at least ${min}`);
  return n;
}

/** A card number as typed or copied from a phone: spaces, dashes and dots between digits dropped. */
export function cardNumber(id) {
  return value(id).replace(/[\s\-.]/g, '');
}

/** Deletes an IndexedDB database ("Reset demo"). */
export function deleteDatabase(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(demoError('STORAGE_UNAVAILABLE', `could not delete IndexedDB database "${name}": ${request.error?.message}`));
    // onblocked: another tab has it open; its IndexedDbStorage closes on "versionchange", after
    // which the deletion goes on and onsuccess fires.
  });
}
