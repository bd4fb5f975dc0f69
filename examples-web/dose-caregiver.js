// The caregiver's page (System 9): a manager's terminal that receives escalated risk alarms over
// the WebSocket of the demo's management server (scripts/serve.mjs, /dose/alarms), confirms each
// delivery (receipt), and acknowledges or snoozes. Every rule is in the server's router (the
// countersign core): this page shows what it is sent and says what the person decided.
// `?as=mum` (default) / `doc` / `centre` picks the recipient; `?as=pat` plays the patient's
// terminal, which also raises demo signals. The page keeps nothing: after a reload the server's
// `welcome` lists the alarms this recipient still holds, and resends what was never confirmed.

const TOKENS = { pat: 'demo-pat', mum: 'demo-mum', doc: 'demo-doc', centre: 'demo-centre' }; // demo only
const NAMES = { pat: 'the patient', mum: 'Mum (caregiver)', doc: 'the doctor', centre: 'the risk-management centre' };
const KIND_TEXT = {
  'urgent-low': 'Urgent low glucose', low: 'Low glucose', high: 'High glucose', 'urgent-high': 'Urgent high glucose',
  'falling-fast': 'Glucose falling fast', 'rising-fast': 'Glucose rising fast', 'stale-data': 'No recent readings',
  occlusion: 'Pump occlusion', 'low-reservoir': 'Reservoir low', 'low-battery': 'Battery low', 'no-delivery': 'No insulin delivered',
  'max-bolus-exceeded': 'Bolus above the maximum',
};
const ROLE_TEXT = ['the patient', 'the caregiver', 'the doctor', 'the risk-management centre'];
const RECONNECT_MS_MAX = 5_000; // the longest wait between reconnection attempts
const HISTORY_MAX = 100; // entries kept in "What happened"
const SNOOZE_MS = 15 * 60_000;

const params = new URLSearchParams(location.search);
const me = Object.hasOwn(TOKENS, params.get('as') ?? '') ? params.get('as') : 'mum';
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const alarms = new Map(); // alarmId -> { signal, step, repeat, resend, deliveryId }
const seenDeliveries = new Set(); // delivery ids this page has shown (a resend of one is marked)
let socket;
let retryMs = 250;

$('who').textContent = NAMES[me];
document.title = `countersign: alarms for ${NAMES[me]}`;
if (me === 'pat') $('patient-panel').hidden = false;

function note(text, kind = '') {
  const li = document.createElement('li');
  li.dataset.testid = 'history-entry';
  const time = document.createElement('span');
  time.className = 'muted small';
  time.textContent = `${new Date().toLocaleTimeString()} `;
  li.append(time);
  if (kind) {
    const badge = document.createElement('span');
    badge.className = `badge ${kind}`;
    badge.textContent = kind === 'bad' ? 'alarm' : kind === 'ok' ? 'done' : 'note';
    li.append(badge, ' ');
  }
  li.append(text);
  $('history').prepend(li);
  while ($('history').children.length > HISTORY_MAX) $('history').lastChild.remove();
}

function showError(code, message) {
  $('error-banner').hidden = false;
  $('error-code').textContent = code;
  $('error-message').textContent = message;
}

function render() {
  const box = $('alarms');
  box.replaceChildren();
  for (const [alarmId, a] of alarms) {
    const s = a.signal;
    const card = document.createElement('article');
    card.className = `alarm ${s.priority}`;
    card.dataset.testid = 'alarm';
    card.dataset.alarmId = alarmId;
    const h = document.createElement('h3');
    h.textContent = KIND_TEXT[s.kind] ?? s.kind;
    const why = document.createElement('p');
    why.className = 'why';
    why.dataset.testid = 'alarm-reason';
    why.textContent = s.reason || '(no reason given)';
    const meta = document.createElement('p');
    meta.className = 'meta';
    meta.dataset.testid = 'alarm-meta';
    const marks = [a.resend ? 'sent again' : '', a.repeat ? 'reminder' : ''].filter(Boolean);
    meta.textContent = `${s.priority} priority · raised ${new Date(s.atMs).toLocaleTimeString()}` +
      (a.step === undefined ? '' : ` · escalated to ${ROLE_TEXT[Math.min(a.step, 3)] ?? `step ${a.step}`}`) +
      (marks.length ? ` · ${marks.join(', ')}` : '') + (s.evidence ? ` · evidence ${s.evidence}` : '');
    const ack = document.createElement('button');
    ack.type = 'button';
    ack.dataset.testid = 'ack';
    ack.textContent = 'Acknowledge';
    ack.addEventListener('click', () => send({ type: 'ack', alarmId }));
    const snooze = document.createElement('button');
    snooze.type = 'button';
    snooze.dataset.testid = 'snooze';
    snooze.textContent = 'Snooze 15 min';
    snooze.addEventListener('click', () => send({ type: 'snooze', kind: s.kind, direction: s.direction, durationMs: SNOOZE_MS }));
    card.append(h, why, meta, ack, snooze);
    box.append(card);
  }
  $('calm').hidden = alarms.size > 0;
  document.body.dataset.alarms = String(alarms.size);
}

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  else showError('NOT_CONNECTED', 'not connected to the alarm server; it reconnects by itself');
}

const handlers = {
  welcome(m) {
    // What the server says this recipient holds replaces what the page showed: a retraction
    // missed while away is made good here.
    alarms.clear();
    for (const a of m.alarms) alarms.set(a.signal.signalId, { signal: a.signal, step: a.step });
    render();
    note(`Connected as ${NAMES[me]}; ${m.alarms.length} open alarm(s) for you.`);
  },
  alarm(m) {
    const d = m.delivery;
    socket.send(JSON.stringify({ type: 'receipt', deliveryId: d.deliveryId }));
    const seen = seenDeliveries.has(d.deliveryId);
    seenDeliveries.add(d.deliveryId);
    const signal = { signalId: d.alarmId, kind: d.kind, priority: d.priority, direction: d.direction, atMs: d.signalAtMs, reason: d.reason, evidence: d.evidence };
    alarms.set(d.alarmId, { signal, step: d.step, repeat: d.repeat, resend: m.resend, deliveryId: d.deliveryId });
    render();
    if (!seen) note(`${KIND_TEXT[d.kind] ?? d.kind}: ${d.reason}${d.repeat ? ' (reminder)' : ''}${m.resend ? ' (sent again after a reconnect)' : ''}`, 'bad');
  },
  retract(m) {
    const r = m.retraction;
    if (alarms.delete(r.alarmId)) {
      render();
      note(`${r.alarmId}: ${r.reason === 'acknowledged' ? 'acknowledged by someone' : r.reason === 'resolved' ? 'resolved — the condition is over' : 'snoozed'}.`, 'ok');
    }
  },
  acked(m) {
    note(m.code === 'acknowledged' ? `You acknowledged ${m.alarmId}: the escalation stopped.` : `${m.alarmId}: ${m.code}.`, 'ok');
    $('error-banner').hidden = true;
  },
  snoozed(m) {
    note(`Snoozed ${m.kind} (${m.direction}) for 15 minutes: ${m.code}.`, 'ok');
  },
  issued(m) {
    $('raise-result').textContent = `${m.alarmId}: ${m.code}`;
    $('raise-result').dataset.code = m.code;
  },
  error(m) {
    showError(m.code, `${m.param ? `${m.param}: ` : ''}${m.message}`);
  },
};

function connect() {
  $('connection').textContent = 'connecting…';
  $('connection').className = 'badge';
  socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/dose/alarms`);
  socket.addEventListener('open', () => {
    retryMs = 250;
    socket.send(JSON.stringify({ type: 'hello', recipientId: me, token: TOKENS[me] }));
    $('connection').textContent = 'connected';
    $('connection').className = 'badge ok';
    document.body.dataset.connected = 'true';
  });
  socket.addEventListener('message', (event) => {
    let m;
    try {
      m = JSON.parse(event.data);
    } catch {
      return;
    }
    handlers[m.type]?.(m);
  });
  socket.addEventListener('close', (event) => {
    document.body.dataset.connected = 'false';
    $('connection').textContent = 'disconnected';
    $('connection').className = 'badge bad';
    $('connection-detail').textContent = event.reason ? `(${event.reason}) ` : '';
    if (event.code === 1008) return; // refused: retrying would not help
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, RECONNECT_MS_MAX);
  });
}

let raised = 0;
function raise(kind, priority, direction, reason, evidence) {
  raised += 1;
  const signalId = `${kind}-${Date.now()}-${raised}`;
  send({ type: 'signal', signal: { signalId, kind, priority, direction, atMs: Date.now(), reason, evidence } });
}
$('raise-urgent-low').addEventListener('click', () => raise('urgent-low', 'high', 'low', 'Glucose 48 mg/dL, below 55 mg/dL', '61, 55, 48 mg/dL over 10 min'));
$('raise-occlusion').addEventListener('click', () => raise('occlusion', 'high', 'none', 'Occlusion: the pump could not deliver the last bolus', 'pressure 1,650 mbar'));
$('raise-low-reservoir').addEventListener('click', () => raise('low-reservoir', 'medium', 'none', 'Reservoir 9 U, below 10 U', '9 U'));

connect();
