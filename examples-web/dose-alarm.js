// System 9 demo: the patient page's current alarm, wired to the management server's alarm router.
//
// The patient page evaluates the controller's history in the browser; every risk signal it opens
// is sent to the demo's management server over the same WebSocket the caregiver page uses
// (scripts/serve.mjs, /dose/alarms, AlarmDeliveryServer) as the patient's terminal (`pat`), and a
// signal that resolves is sent as `resolve` (the alarm is retracted for everyone who holds it).
// Every rule — the ladder, its timeouts, snoozes and their bounds, acknowledgements — is the
// server's router (the countersign core); this panel shows what the server says (its `status`
// follow: every open alarm, who holds it, the ladder's step and when the next one is due) and says
// what the router refused, in words, without repairing it. An acknowledgement here or on the
// caregiver page closes the alarm in both.
//
// Nothing here is kept across reloads: the server's status after the hello is the truth, and the
// open signals are sent again at each connection (the router answers `duplicate` for an alarm it
// holds and `already-closed` for one acknowledged or resolved: nothing rings twice).

import { byTestId } from './demo-kit.js';

const PATIENT_ID = 'pat';
const PATIENT_TOKEN = 'demo-pat'; // demo only: scripts/serve.mjs DOSE_DEMO_TOKENS
const ALARMS_PATH = '/dose/alarms';
const RECONNECT_MS_MIN = 250;
const RECONNECT_MS_MAX = 5_000; // the longest wait between reconnection attempts
const SIGNALS_ROUTED_MAX = 64; // the newest signals sent to the router per evaluation (older ones were sent before)
const ROUTED_IDS_MAX = 1_024; // signal ids remembered as sent in this page's life
const CLOSED_SHOWN_MAX = 5; // recently closed alarms listed under the panel
/** Snooze choices, minutes; the router refuses what its rules forbid (an urgent low beyond 15 min). */
const SNOOZE_CHOICES_MIN = [5, 15, 30, 60, 240];

const KIND_TEXT = {
  'urgent-low': 'Urgent low glucose', low: 'Low glucose', high: 'High glucose', 'urgent-high': 'Urgent high glucose',
  'sustained-low': 'Low glucose for too long', 'falling-fast': 'Glucose falling fast', 'rising-fast': 'Glucose rising fast',
  'stale-data': 'No recent readings', 'urgent-stale-data': 'No readings for 30 minutes', occlusion: 'Pump occlusion',
  'no-delivery': 'No insulin delivered', 'pump-error': 'Pump error', 'low-reservoir': 'Reservoir low',
  'urgent-low-reservoir': 'Reservoir almost empty', 'low-battery': 'Battery low', 'urgent-low-battery': 'Battery almost empty',
  'max-bolus-exceeded': 'Bolus above the maximum', 'max-daily-exceeded': 'Daily insulin above the maximum',
};
const PRIORITY_TEXT = {
  high: 'High priority: respond now',
  medium: 'Medium priority: respond soon',
  low: 'Low priority: be aware',
};
const NAMES = { pat: 'the patient', mum: 'Mum (caregiver)', doc: 'the doctor', centre: 'the risk-management centre' };
// The demo's ladders (scripts/serve.mjs DOSE_DEMO_SETUP) climb patient → caregiver → doctor →
// centre, so a step number names its role; the router itself only says the step.
const STEP_ROLE = ['the patient', 'the caregiver', 'the doctor', 'the risk-management centre'];
const RANK = { high: 0, medium: 1, low: 2 };

const kindText = (kind) => KIND_TEXT[kind] ?? kind;
/** The router's reason, naming its parameter once (the SDK's messages start "countersign: <param>: "). */
function reasonOf({ param, message }) {
  const text = message.replace(/^countersign: /, '');
  return param && !text.startsWith(`${param}:`) ? `${param}: ${text}` : text;
}
const timeOf = (ms) => new Date(ms).toLocaleTimeString();
const inSeconds = (ms) => (ms <= 0 ? 'now' : ms < 120_000 ? `in ${Math.ceil(ms / 1000)} s` : `in ${Math.round(ms / 60_000)} min`);

/**
 * Starts the link. `sdk` is the initialised SDK (for `alarmSignalOf`), `simulatedTime(ms)` formats
 * a signal's time on the page's simulated clock.
 */
export function startAlarmLink({ sdk, simulatedTime }) {
  let socket = null;
  let retryMs = RECONNECT_MS_MIN;
  let connected = false;
  let replaced = false; // another tab connected as the patient's terminal (the server keeps the newest)
  let status = null; // the server's last { nowMs, alarms }
  let signals = []; // the evaluation's signals, as last rendered
  let refusal = null; // { code, param, message } the router's last refusal of this page's request
  let note = ''; // what the router last did for this page, in words
  let asked = ''; // what this page last asked the router, in words (a refusal says what it refuses)
  const routed = new Map(); // signalId -> 'issued' | 'resolved' (sent over this connection)
  const closed = []; // { alarmId, kind, why } newest first
  const box = byTestId('alarm-actions');

  function send(message) {
    if (socket?.readyState !== WebSocket.OPEN) {
      refusal = { code: 'NOT_CONNECTED', param: '', message: 'not connected to the alarm server; it reconnects by itself' };
      render();
      return false;
    }
    socket.send(JSON.stringify(message));
    return true;
  }

  /** Sends the signals the router has not had from this connection: opened ones, and resolutions. */
  function route() {
    if (!connected) return;
    for (const s of signals.slice(-SIGNALS_ROUTED_MAX)) {
      const was = routed.get(s.signalId);
      if (s.resolved === null && was === undefined) {
        let signal;
        try {
          signal = sdk.alarmSignalOf(s);
        } catch (err) {
          refusal = { code: err.code ?? 'INVALID_ARGUMENT', param: err.param ?? 'signal', message: err.message };
          continue;
        }
        asked = `Raising ${kindText(s.kind)} (${s.signalId})`;
        if (send({ type: 'signal', signal })) routed.set(s.signalId, 'issued');
      } else if (s.resolved !== null && was !== 'resolved') {
        asked = `Retracting ${kindText(s.kind)} (${s.signalId}), resolved`;
        if (send({ type: 'resolve', alarmId: s.signalId })) routed.set(s.signalId, 'resolved');
      }
    }
    while (routed.size > ROUTED_IDS_MAX) routed.delete(routed.keys().next().value);
  }

  function remember(alarmId, kind, why) {
    if (closed.some((c) => c.alarmId === alarmId)) return;
    closed.unshift({ alarmId, kind, why });
    closed.length = Math.min(closed.length, CLOSED_SHOWN_MAX);
  }

  const handlers = {
    welcome() {
      // A new connection: the router hears every open signal again (it ignores what it holds).
      routed.clear();
      route();
    },
    status(m) {
      const before = new Map((status?.alarms ?? []).map((a) => [a.signal.signalId, a.signal.kind]));
      status = { nowMs: m.nowMs, alarms: m.alarms };
      for (const [id, kind] of before) {
        if (!m.alarms.some((a) => a.signal.signalId === id)) remember(id, kind, 'closed');
      }
    },
    alarm(m) {
      // A delivery to the patient's terminal: confirmed at once (this page shows it).
      socket.send(JSON.stringify({ type: 'receipt', deliveryId: m.delivery.deliveryId }));
    },
    retract(m) {
      const r = m.retraction;
      const kind = status?.alarms.find((a) => a.signal.signalId === r.alarmId)?.signal.kind ?? r.alarmId;
      if (r.reason !== 'snoozed') {
        closed.splice(0, closed.length, ...closed.filter((c) => c.alarmId !== r.alarmId));
        remember(r.alarmId, kind, r.reason === 'acknowledged' ? 'acknowledged' : 'resolved: the condition is over');
      }
    },
    acked(m) {
      refusal = null;
      note = m.code === 'acknowledged' ? 'You acknowledged the alarm: the escalation stopped for everyone.' : `Acknowledge: ${m.code}.`;
    },
    snoozed(m) {
      refusal = null;
      note = `Snoozed ${kindText(m.kind)} (${m.direction}): ${m.code}. It rings again when the snooze ends.`;
    },
    issued() {},
    resolved() {},
    error(m) {
      refusal = { code: m.code, param: m.param, message: m.message, asked };
    },
  };

  function connect() {
    socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${ALARMS_PATH}`);
    socket.addEventListener('open', () => {
      retryMs = RECONNECT_MS_MIN;
      connected = true;
      socket.send(JSON.stringify({ type: 'hello', recipientId: PATIENT_ID, token: PATIENT_TOKEN, status: true }));
      render();
    });
    socket.addEventListener('message', (event) => {
      let m;
      try {
        m = JSON.parse(event.data);
      } catch {
        return;
      }
      handlers[m.type]?.(m);
      render();
    });
    socket.addEventListener('close', (event) => {
      connected = false;
      // Replaced by a newer connection of the patient (another tab): reconnecting at once would
      // replace that one in turn, and the two tabs would take turns forever. Wait to be asked.
      replaced = event.code === 1000 && event.reason.startsWith('replaced');
      render();
      if (event.code === 1008 || replaced) return; // refused: retrying would not help
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RECONNECT_MS_MAX);
    });
  }

  function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'testid') e.dataset.testid = v;
      else if (k === 'class') e.className = v;
      else if (k === 'role' || k.startsWith('aria-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    e.append(...children);
    return e;
  }

  function ladderText(a, nowMs) {
    const due = inSeconds(a.nextAtMs - nowMs);
    if (a.snoozedUntilMs !== undefined) {
      return `Snoozed until ${timeOf(a.snoozedUntilMs)} (${inSeconds(a.snoozedUntilMs - nowMs)}); then it rings again, from ${STEP_ROLE[0]}.`;
    }
    if (a.step === undefined) return `Not delivered yet: ${STEP_ROLE[0]} ${due}.`;
    const at = `step ${a.step + 1} of ${a.steps}`;
    if (a.step + 1 < a.steps) return `At ${at}. Next: ${STEP_ROLE[a.step + 1] ?? `step ${a.step + 2}`} ${due} (${timeOf(a.nextAtMs)}) unless acknowledged.`;
    return `At the top of the ladder (${at}): told again ${due} (${timeOf(a.nextAtMs)}) until acknowledged.`;
  }

  function render() {
    const alarms = (status?.alarms ?? []).slice().sort((x, y) => RANK[x.signal.priority] - RANK[y.signal.priority] || y.signal.atMs - x.signal.atMs);
    const current = alarms[0] ?? null;
    box.dataset.connected = String(connected);
    box.dataset.open = alarms.map((a) => a.signal.signalId).join(',');
    const parts = [];
    const line = el('p', { class: 'small status-line' }, 'Alarm server: ',
      el('span', { class: `badge ${connected ? 'ok' : 'bad'}`, testid: 'alarm-connection' }, connected ? 'connected' : replaced ? 'in another tab' : 'not connected'),
      replaced ? ' Another tab is the patient\'s terminal now (one connection at a time). ' : ` ${alarms.length} open alarm(s) routed to the patient, caregiver, doctor and risk-management centre.`);
    if (replaced) {
      const again = el('button', { type: 'button', class: 'secondary', testid: 'alarm-reconnect' }, 'Use this tab');
      again.addEventListener('click', () => {
        replaced = false;
        connect();
      });
      line.append(again);
    }
    parts.push(line);
    const panel = el('div', { class: 'routed', testid: 'alarm-panel' });
    panel.dataset.alarmId = current?.signal.signalId ?? '';
    panel.dataset.kind = current?.signal.kind ?? '';
    panel.dataset.priority = current?.signal.priority ?? 'none';
    panel.dataset.state = current === null ? 'none' : current.snoozedUntilMs !== undefined ? 'snoozed' : 'ringing';
    if (current === null) {
      panel.append(el('p', { class: 'calm', testid: 'alarm-calm' }, status === null ? 'Waiting for the alarm server…' : 'No alarm is open at the alarm server.'));
    } else {
      const s = current.signal;
      const nowMs = status.nowMs;
      panel.append(
        el('h3', { testid: 'alarm-what' }, kindText(s.kind)),
        el('p', { class: 'priority', testid: 'alarm-priority' }, PRIORITY_TEXT[s.priority] ?? s.priority),
        el('p', { testid: 'alarm-reason' }, s.reason),
        el('p', { class: 'small', testid: 'alarm-since' }, `Since ${simulatedTime(s.atMs)} (the controller's time)`),
        el('p', { class: 'small', testid: 'alarm-told' }, `Told: ${current.holders.length ? current.holders.map((h) => NAMES[h] ?? h).join(', ') : 'nobody at the moment'}`),
        el('p', { class: 'small', testid: 'alarm-next' }, ladderText(current, nowMs)),
      );
      const ack = el('button', { type: 'button', testid: 'alarm-ack' }, 'Acknowledge');
      ack.addEventListener('click', () => {
        note = '';
        asked = `Acknowledging ${kindText(s.kind)}`;
        send({ type: 'ack', alarmId: s.signalId });
      });
      const choice = el('select', { testid: 'alarm-snooze-duration', 'aria-label': 'Snooze for' },
        ...SNOOZE_CHOICES_MIN.map((m) => el('option', { value: String(m) }, m < 60 ? `${m} min` : `${m / 60} h`)));
      const snooze = el('button', { type: 'button', class: 'secondary', testid: 'alarm-snooze' }, 'Snooze');
      snooze.addEventListener('click', () => {
        note = '';
        asked = `Snoozing ${kindText(s.kind)} for ${choice.selectedOptions[0]?.textContent ?? `${choice.value} min`}`;
        send({ type: 'snooze', kind: s.kind, direction: s.direction, durationMs: Number(choice.value) * 60_000 });
      });
      panel.append(el('div', { class: 'row' }, ack, el('label', {}, 'Snooze for', choice), snooze));
    }
    parts.push(panel);
    if (refusal !== null) {
      parts.push(el('p', { class: 'error-message', testid: 'alarm-refusal', role: 'alert' },
        el('span', { class: 'badge bad' }, refusal.code),
        ` ${refusal.asked ? `${refusal.asked}: refused by the alarm router, nothing changed.` : 'Refused by the alarm server.'} ${reasonOf(refusal)}`));
    }
    if (note) parts.push(el('p', { class: 'small', testid: 'alarm-note' }, note));
    if (closed.length) {
      parts.push(el('ul', { class: 'small muted', testid: 'alarm-closed' },
        ...closed.map((c) => el('li', {}, `${kindText(c.kind)} (${c.alarmId}): ${c.why}`))));
    }
    // Keep the snooze choice across re-renders (status messages arrive while the person picks).
    const picked = box.querySelector('[data-testid="alarm-snooze-duration"]')?.value;
    box.replaceChildren(...parts);
    const select = box.querySelector('[data-testid="alarm-snooze-duration"]');
    if (select && picked) select.value = picked;
  }

  connect();
  render();
  return {
    /** The evaluation's signals after each change on the page: opened ones are raised, resolved ones retracted. */
    update(next) {
      signals = next;
      route();
      render();
    },
    /** The demo is reset: every alarm this page raised and the router still holds is resolved. */
    resolveAll() {
      for (const a of status?.alarms ?? []) send({ type: 'resolve', alarmId: a.signal.signalId });
      signals = [];
      routed.clear();
    },
  };
}
