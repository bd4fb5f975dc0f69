// Helpers every demo page uses: finding elements by data-testid, the error and status banners,
// hex for bytes kept in localStorage, the demo's own bookkeeping in localStorage, local time.
// Pages import these; the rules they show are all in the SDK.

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

/** The page's error banner: the SDK error's code and message. */
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
  byTestId('error-banner').hidden = true;
  setText('error-code', '');
  setText('error-message', '');
}

/**
 * Page actions, run one at a time: each hides the error banner, runs, then `afterEach()` (the
 * page's persistence), then `render()`; an error is shown in the banner. `<body data-step>` counts
 * finished actions and `data-busy` says one is running: the browser tests wait on them.
 */
export function actionRunner({ render, afterEach = async () => {} }) {
  let queue = Promise.resolve();
  let steps = 0;
  const action = (fn) => () => {
    queue = queue.then(async () => {
      document.body.dataset.busy = 'true';
      hideError();
      try {
        await fn();
        await afterEach();
      } catch (err) {
        showError(err);
      }
      try {
        render();
      } catch (err) {
        showError(err);
      }
      steps += 1;
      document.body.dataset.step = String(steps);
      document.body.dataset.busy = 'false';
    });
  };
  const bind = (testId, fn) => byTestId(testId).addEventListener('click', action(fn));
  return { action, bind };
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
