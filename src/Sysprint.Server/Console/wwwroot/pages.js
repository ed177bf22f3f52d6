// The console's pages, each drawn from the JSON API. Every page is a function (params) that
// renders into #main and may return a live handler {alert(a), host(h)} for server-sent events.

import { get, post } from './api.js';
import { h, show, time, ago, bytes, badge, toast, failure } from './dom.js';
import { barList, hourChart, heatmap, convergence } from './charts.js';

const STATES = ['ok', 'lagging', 'silent', 'revoked'];
const enc = encodeURIComponent;

export async function overview() {
  const o = await get('/api/overview');
  const states = h('div', { class: 'states', id: 'host-states' },
    STATES.map((state) => h('a', { class: `state-card state-${state}`, href: `/hosts?state=${state}`, dataset: { state } },
      h('span', { class: 'count' }, o.hosts[state]), h('span', { class: 'name' }, state))));
  const day = o.alerts_24h;
  show(
    h('h1', {}, 'Overview'),
    h('section', { class: 'card' }, h('h2', {}, 'Hosts by state'), states),
    h('div', { class: 'grid3' },
      h('section', { class: 'card' }, h('h2', {}, 'Alerts, last 24 h (UTC hours)'), hourChart(day.by_hour, o.now, { id: 'chart-hours' })),
      h('section', { class: 'card' }, h('h2', {}, 'By host'), barList(day.by_host, { id: 'chart-hosts', link: (k) => `/alerts?host=${enc(k)}` })),
      h('section', { class: 'card' }, h('h2', {}, 'By profile'), barList(day.by_profile, { id: 'chart-profiles', link: (k) => `/alerts?program=${enc(k)}` }))),
    h('div', { class: 'grid2' },
      h('section', { class: 'card' }, h('h2', {}, 'Newest alerts ', h('a', { href: '/alerts?status=new', class: 'small' }, `${o.new_alerts_exact ? '' : 'more than '}${o.new_alerts} new`)),
        alertList(o.newest, 'newest-alerts')),
      h('section', { class: 'card' }, h('h2', {}, 'Fingerprints changed recently'),
        o.profiles_changed === null ? h('p', { class: 'muted' }, o.profiles_error)
          : o.profiles_changed.length === 0 ? h('p', { class: 'muted' }, 'none')
            : h('ul', { class: 'plain', id: 'profiles-changed' }, o.profiles_changed.map((p) => h('li', {},
              h('a', { href: `/fingerprints/${enc(p.name)}` }, p.name), ` ${p.transitions} transitions, learnt ${ago(p.last_learnt)} `, badge(p.seal.state)))),
        o.changes.length ? h('h3', {}, 'Changes from the console') : null,
        o.changes.length ? changeList(o.changes) : null)),
  );
  let pending = null;
  const refresh = () => {
    clearTimeout(pending);
    pending = setTimeout(() => { if (location.pathname === '/') overview().catch(() => {}); }, 300);
  };
  return { alert: refresh, host: refresh };
}

function alertList(alerts, id) {
  if (!alerts.length) return h('p', { class: 'muted', id }, 'no alerts');
  return h('ul', { class: 'plain alerts', id }, alerts.map((a) => h('li', { dataset: { seq: a.seq } },
    badge(a.status), ' ', h('a', { href: `/alerts/${a.seq}` }, summary(a)), h('span', { class: 'muted' }, ` ${a.host} · ${ago(a.time)}`))));
}

function summary(a) {
  const f = (a.alert && a.alert.output_fields) || {};
  if (f['mismatch.prev'] !== undefined || f['mismatch.next'] !== undefined) {
    const more = Array.isArray(a.alert.details) && a.alert.details.length > 1 ? ` and ${a.alert.details.length - 1} more` : '';
    return `${f['mismatch.prev'] ?? '(start)'} → ${f['mismatch.next']}${f.reason ? ` (${f.reason})` : ''}${more}`;
  }
  return a.rule;
}

function changeList(changes) {
  return h('ul', { class: 'plain changes' }, changes.map((c) => h('li', {},
    h('span', { class: 'muted' }, `${time(c.time)} `), h('b', {}, c.actor), ` ${c.action === 'normal' ? 'marked normal' : 'acknowledged'}: `, c.detail)));
}

// ---- Alerts -----------------------------------------------------------------------------------

const FILTERS = ['host', 'vm', 'program', 'detector', 'status', 'since', 'until'];

export async function alerts() {
  const params = new URLSearchParams(location.search);
  const form = filterForm(params);
  const table = h('table', { id: 'alerts-table', class: 'table' },
    h('thead', {}, h('tr', {}, ['Time (UTC)', 'Host', 'VM', 'Profile', 'Detector', 'What', 'Seen on', 'Status', ''].map((t) => h('th', {}, t)))),
    h('tbody', {}));
  const pager = h('div', { class: 'pager' });
  show(h('h1', {}, 'Alerts'), form, h('p', { class: 'muted', id: 'alerts-total' }, 'Loading…'), table, pager, ackDialog(), normalDialog());
  const query = new URLSearchParams();
  for (const name of FILTERS) if (params.get(name)) query.set(name, params.get(name));
  query.set('limit', params.get('limit') || '50');
  if (params.get('before')) query.set('before', params.get('before'));
  const page = await get(`/api/alerts?${query}`);
  const body = table.tBodies[0];
  for (const a of page.alerts) body.append(alertRow(a));
  if (!page.alerts.length) body.append(h('tr', { class: 'empty' }, h('td', { colspan: 9, class: 'muted' }, 'No alert matches these filters.')));
  const count = () => `${page.total_exact ? '' : 'more than '}${page.total} alert${page.total === 1 ? '' : 's'} match`;
  document.getElementById('alerts-total').textContent = count();
  if (params.get('before')) pager.append(h('a', { href: `/alerts?${without(params, 'before')}`, class: 'button' }, '← Newest'));
  if (page.next_before) {
    const next = new URLSearchParams(params);
    next.set('before', page.next_before);
    pager.append(h('a', { href: `/alerts?${next}`, class: 'button', id: 'older' }, 'Older →'));
  }
  return {
    alert(a) {
      if (params.get('before') || !matches(a, params)) return;
      const empty = body.querySelector('tr.empty');
      if (empty) empty.remove();
      const row = alertRow(a);
      row.classList.add('fresh');
      body.prepend(row);
      if (page.total_exact) page.total += 1;
      document.getElementById('alerts-total').textContent = count();
    },
  };
}

function without(params, name) {
  const copy = new URLSearchParams(params);
  copy.delete(name);
  return copy;
}

/** Whether a live alert belongs on the table as filtered (the server filtered the rest). */
function matches(a, params) {
  const want = (name) => params.get(name);
  if (want('host') && a.host !== want('host')) return false;
  if (want('vm') && a.vm !== want('vm')) return false;
  if (want('program') && a.profile !== want('program') && a.program !== want('program')) return false;
  if (want('detector') && a.detector !== want('detector')) return false;
  if (want('status') && a.status !== want('status')) return false;
  if (want('since') && Date.parse(a.time) < Date.parse(want('since'))) return false;
  if (want('until') && Date.parse(a.time) >= Date.parse(want('until'))) return false;
  return true;
}

function filterForm(params) {
  const text = (name, label, placeholder) => h('label', {}, label,
    h('input', { type: 'text', name, id: `filter-${name}`, value: params.get(name) || '', placeholder }));
  const local = (iso) => (iso ? new Date(Date.parse(iso) - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : '');
  const status = h('select', { name: 'status', id: 'filter-status' },
    [['', 'any'], ['new', 'new'], ['acknowledged', 'acknowledged'], ['dismissed', 'dismissed as normal']].map(([value, label]) =>
      h('option', { value, selected: (params.get('status') || '') === value }, label)));
  const form = h('form', { id: 'alert-filters', class: 'filters' },
    text('host', 'Host', 'hv-01'), text('vm', 'VM', 'web-01'), text('program', 'Program or profile', 'nginx'),
    text('detector', 'Detector', 'paper'), h('label', {}, 'Status', status),
    h('label', {}, 'From', h('input', { type: 'datetime-local', name: 'since', id: 'filter-since', value: local(params.get('since')) })),
    h('label', {}, 'To', h('input', { type: 'datetime-local', name: 'until', id: 'filter-until', value: local(params.get('until')) })),
    h('button', { type: 'submit', id: 'apply-filters' }, 'Filter'),
    h('a', { href: '/alerts', class: 'button secondary' }, 'Clear'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (!value) continue;
      next.set(name, name === 'since' || name === 'until' ? new Date(value).toISOString() : value);
    }
    navigate(`/alerts${next.toString() ? `?${next}` : ''}`);
  });
  return form;
}

function alertRow(a) {
  const actions = h('td', { class: 'actions' });
  if (a.status === 'new') {
    actions.append(
      h('button', { type: 'button', class: 'small ack', onclick: () => openAck(a) }, 'Acknowledge'),
      ' ',
      h('button', { type: 'button', class: 'small secondary normal', onclick: () => openNormal(a) }, 'This is normal'));
  }
  return h('tr', { dataset: { seq: a.seq, host: a.host }, class: `status-${a.status}` },
    h('td', { class: 'time' }, h('a', { href: `/alerts/${a.seq}` }, time(a.time))),
    h('td', { class: 'host' }, a.host ? h('a', { href: `/hosts/${enc(a.host)}` }, a.host) : '—'),
    h('td', { class: 'vm' }, a.vm ?? '—'),
    h('td', { class: 'profile' }, a.profile ?? '—'),
    h('td', { class: 'detector' }, a.detector ?? '—'),
    h('td', { class: 'what' }, h('a', { href: `/alerts/${a.seq}` }, summary(a))),
    fleetCell(a),
    h('td', { class: 'status' }, badge(a.status), a.status_by ? h('span', { class: 'muted small' }, ` by ${a.status_by}`) : null),
    actions);
}

/** The fleet view in a row: the rarest of its mismatches, "1 / 212 hosts" (7 days); '—' when none is known (a live row, an internal alert). */
function fleetCell(a) {
  const seen = (a.fleet ?? []).filter((f) => f);
  if (!seen.length) return h('td', { class: 'fleet muted' }, '—');
  const rarest = seen.reduce((m, f) => (f.hosts < m.hosts ? f : m));
  return h('td', { class: rarest.hosts <= 1 ? 'fleet rare' : 'fleet', title: `seen on ${rarest.hosts} of ${rarest.of} hosts in the last ${rarest.days} days` },
    `${rarest.hosts} / ${rarest.of}`);
}

function ackDialog() {
  return h('dialog', { id: 'ack-dialog' },
    h('form', { method: 'dialog' },
      h('h2', {}, 'Acknowledge alert ', h('span', { id: 'ack-seq' })),
      h('p', { class: 'muted', id: 'ack-what' }),
      h('label', {}, 'Note', h('textarea', { id: 'ack-note', rows: 3, maxlength: 2000, placeholder: 'ticket, reason, who looked' })),
      h('div', { class: 'buttons' },
        h('button', { value: 'cancel', class: 'secondary', id: 'ack-cancel' }, 'Cancel'),
        h('button', { value: 'ok', id: 'ack-confirm' }, 'Acknowledge'))));
}

function normalDialog() {
  return h('dialog', { id: 'normal-dialog' },
    h('form', { method: 'dialog' },
      h('h2', {}, 'This is normal?'),
      h('p', { id: 'normal-what' }),
      h('p', { class: 'warning learn-only' }, 'The window is learnt into the profile that every host of the fleet checks against: hosts stop alerting on it, and alerts still new with the same pattern are dismissed. The profile\'s seal must be renewed (sysprint seal) for agents that verify it.'),
      h('label', { class: 'learn-only' }, 'Note', h('textarea', { id: 'normal-note', rows: 2, maxlength: 2000, placeholder: 'why it is normal' })),
      h('div', { class: 'buttons' },
        h('button', { value: 'cancel', class: 'secondary', id: 'normal-cancel' }, 'Cancel'),
        h('button', { value: 'ok', class: 'danger learn-only', id: 'normal-confirm' }, 'Yes, learn it as normal'))));
}

function openAck(a) {
  const dialog = document.getElementById('ack-dialog');
  document.getElementById('ack-seq').textContent = `#${a.seq}`;
  document.getElementById('ack-what').textContent = `${summary(a)} on ${a.host}${a.vm ? ` / ${a.vm}` : ''}`;
  document.getElementById('ack-note').value = '';
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'ok') return;
    try {
      await post(`/api/alerts/${a.seq}/acknowledge`, { note: document.getElementById('ack-note').value });
      toast(`Alert #${a.seq} acknowledged`);
      await rerender();
    } catch (error) {
      toast(error.message);
    }
  };
  dialog.showModal();
}

/** The call-set detector's reasons (Sysprint.Detection.CallSetDetector): a finding about a whole run's set of calls. */
const CALLSET_REASONS = ['call not in the nearest normal run', 'call of the nearest normal run not made'];

function openNormal(a) {
  const dialog = document.getElementById('normal-dialog');
  const f = (a.alert && a.alert.output_fields) || {};
  const callset = CALLSET_REASONS.includes(f.reason);
  // A call-set finding compares the run's whole set of calls with the nearest normal run's: one
  // call cannot be learnt alone, the run's log must be (the server refuses it, 409, and says so).
  dialog.classList.toggle('explain-only', callset);
  document.getElementById('normal-cancel').textContent = callset ? 'Close' : 'Cancel';
  document.getElementById('normal-what').textContent = callset
    ? `This is a call-set finding: ${f.reason === CALLSET_REASONS[0] ? `the run made ${f['mismatch.next']}, a call the nearest normal run learnt into profile '${a.profile ?? '?'}' never makes`
      : `the nearest normal run of profile '${a.profile ?? '?'}' makes ${f['mismatch.next']}, and this run never does`}. `
      + 'The call-set detector compares each run\'s whole set of calls with the learnt runs\' sets, so one call cannot be learnt alone: '
      + `learn the run's log itself, where it is: sysprint train --db STORE --profile ${a.profile ?? 'PROFILE'} ${a.log ?? 'LOG'}${a.host ? ` (on ${a.host})` : ''}. `
      + 'Acknowledge the alert to record why.'
    : `Learn "${f['mismatch.window'] ?? summary(a)}" into profile '${a.profile ?? '?'}' (alert #${a.seq} on ${a.host || 'an unnamed host'}).`;
  document.getElementById('normal-note').value = '';
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'ok') return;
    try {
      const r = await post(`/api/alerts/${a.seq}/normal`, { confirm: true, note: document.getElementById('normal-note').value });
      toast(`Learnt '${r.window}' into '${r.profile}' (${r.new_transitions} new); ${r.dismissed} alert${r.dismissed === 1 ? '' : 's'} dismissed`);
      await rerender();
    } catch (error) {
      toast(error.message);
    }
  };
  dialog.showModal();
}

// ---- Alert detail -----------------------------------------------------------------------------

export async function alertDetail({ seq }) {
  const d = await get(`/api/alerts/${seq}`);
  const a = d.alert;
  const e = d.explanation;
  const explanation = {
    transition: () => h('p', { class: 'explain' }, 'The fingerprint has no transition ', h('code', {}, e.prev ?? '(thread start)'), ' → ', h('code', {}, e.next),
      ': the program made a call after another that it never made after it in the normal runs learnt.'),
    window: () => h('p', { class: 'explain' }, 'Unseen window of calls: ', h('code', {}, e.window), e.reason ? ` (${e.reason})` : ''),
    calls_added: () => h('p', { class: 'explain' }, 'Call added: ', h('code', {}, e.next), ' is not in the nearest normal run\'s set of calls.'),
    calls_missing: () => h('p', { class: 'explain' }, 'Call missing: the nearest normal run makes ', h('code', {}, e.next), ', this run never does.'),
    internal: () => h('p', { class: 'explain' }, 'Sysprint\'s own trouble: ', a.output),
  }[e.kind]();
  const rows = [
    ['Host', a.host ? h('a', { href: `/hosts/${enc(a.host)}` }, a.host) : '—'], ['Source', a.source], ['VM', a.vm ?? '—'], ['Log', h('code', {}, a.log ?? '—')],
    ['Line', e.line ?? '—'], ['Pid', e.pid ?? '—'], ['Program', e.program ?? '—'],
    ['Profile', a.profile ? h('a', { href: `/fingerprints/${enc(a.profile)}` }, a.profile) : '—'], ['Detector', a.detector ?? '—'],
    ['Raised', time(a.time)], ['Received', time(a.received)],
    ['Binary SHA-256', e.binary_sha256 ? h('code', { id: 'binary-sha256' }, e.binary_sha256) : 'not known (only run and attach hash the traced binary)'],
    ['Alert id', h('code', {}, a.id)], ['Status', h('span', {}, badge(a.status), a.status_by ? ` by ${a.status_by} at ${time(a.status_at)}` : '', a.status_note ? ` — ${a.status_note}` : '')],
  ];
  const fleet = d.fleet
    ? h('p', { id: 'fleet-view', class: d.fleet.hosts <= 1 ? 'fleet rare' : 'fleet' },
      `Seen on ${d.fleet.hosts} of ${d.fleet.of} hosts in the last ${d.fleet.days} days. `,
      h('span', { class: 'muted' }, d.fleet.hosts <= 1 ? 'Only here: that points to this host.' : 'On several hosts: perhaps a new release.'))
    : h('p', { class: 'muted', id: 'fleet-view' }, 'No fleet view for this alert (no profile or window).');
  const details = Array.isArray(a.alert?.details) ? a.alert.details : [];
  const mismatches = details.length > 1
    ? h('table', { class: 'table', id: 'mismatches' },
      h('thead', {}, h('tr', {}, ['Line', 'Pid', 'Transition', 'Count', 'Seen on'].map((t) => h('th', {}, t)))),
      h('tbody', {}, details.map((m, i) => {
        const f = (a.fleet ?? [])[i];
        const calls = Array.isArray(m.window) ? m.window.join(' ') : `${m.prev ?? '(thread start)'} → ${m.next}`;
        return h('tr', {}, h('td', {}, m.line ?? '—'), h('td', {}, m.pid ?? '—'), h('td', {}, h('code', {}, calls), m.reason ? ` (${m.reason})` : ''),
          h('td', {}, m.count ?? '—'),
          h('td', { class: f && f.hosts <= 1 ? 'fleet rare' : 'fleet' }, f ? `${f.hosts} of ${f.of} hosts` : '—'));
      })))
    : null;
  show(
    h('p', {}, h('a', { href: '/alerts' }, '← Alerts')),
    h('h1', {}, `Alert #${a.seq}`, ' ', badge(a.status)),
    h('section', { class: 'card' }, h('h2', {}, 'Why'), explanation, h('p', { class: 'muted' }, a.output),
      mismatches ? h('p', {}, `${details.length} mismatches, each with its fleet view:`) : null, mismatches),
    h('section', { class: 'card', id: 'log-context' }, h('h2', {}, 'Log lines'), logContext(d.log_context ?? [])),
    h('section', { class: 'card' }, h('h2', {}, 'Fleet view'), fleet),
    h('section', { class: 'card' }, h('h2', {}, 'Details'), h('table', { class: 'kv', id: 'alert-details' }, rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))))),
    a.status === 'new' ? h('p', {},
      h('button', { type: 'button', class: 'ack', onclick: () => openAck(a) }, 'Acknowledge'), ' ',
      h('button', { type: 'button', class: 'secondary normal', onclick: () => openNormal(a) }, 'This is normal')) : null,
    d.changes.length ? h('section', { class: 'card' }, h('h2', {}, 'History'), changeList(d.changes)) : null,
    h('details', {}, h('summary', {}, a.source === 'check' || a.source === 'run' || a.source === 'attach' ? 'The alert as recorded' : 'The alert as the agent sent it'), h('pre', { class: 'json' }, JSON.stringify(a.alert, null, 2))),
    ackDialog(), normalDialog(),
  );
}

/** The lines around each mismatch, the mismatch's own marked; or why the server cannot show them. */
function logContext(contexts) {
  if (!contexts.length) return h('p', { class: 'muted' }, 'The alert names no line of a log.');
  return contexts.map((c) => (c.context.lines
    ? h('pre', { class: 'log', dataset: { line: c.line } }, c.context.lines.map((l) =>
      h('span', { class: l.n === c.line ? 'log-line hit' : 'log-line' }, `${String(l.n).padStart(6)}  ${l.text}\n`)))
    : h('p', { class: 'muted log-missing', dataset: { line: c.line } }, `Line ${c.line}: ${c.context.reason}`)));
}

// ---- Hosts ------------------------------------------------------------------------------------

export async function hosts() {
  const params = new URLSearchParams(location.search);
  const { hosts: list } = await get('/api/hosts');
  const only = params.get('state');
  const shown = only ? list.filter((x) => x.state === only) : list;
  const counts = Object.fromEntries(STATES.map((st) => [st, list.filter((x) => x.state === st).length]));
  const body = h('tbody', {}, shown.map(hostRow));
  show(
    h('h1', {}, 'Hosts'),
    h('p', { class: 'tabs' }, h('a', { href: '/hosts', class: only ? '' : 'active' }, `all ${list.length}`),
      STATES.map((st) => h('a', { href: `/hosts?state=${st}`, class: only === st ? 'active' : '' }, `${st} ${counts[st]}`))),
    h('table', { id: 'hosts-table', class: 'table' },
      h('thead', {}, h('tr', {}, ['Host', 'Group', 'State', 'Last seen', 'Version', 'Lag', 'Files', 'VMs', 'Pending per sink', 'Last error'].map((t) => h('th', {}, t)))),
      body),
    shown.length ? null : h('p', { class: 'muted' }, 'No host.'),
  );
  return {
    host(x) {
      const row = body.querySelector(`tr[data-host="${CSS.escape(x.name)}"]`);
      const fresh = hostRow(x);
      fresh.classList.add('fresh');
      if (row) row.replaceWith(fresh);
      else if (!only || only === x.state) body.append(fresh);
    },
  };
}

function hostRow(x) {
  const pending = x.pending ? Object.entries(x.pending).map(([sink, n]) => `${sink}: ${n}`).join(', ') || '—' : '—';
  return h('tr', { dataset: { host: x.name, state: x.state } },
    h('td', {}, h('a', { href: `/hosts/${enc(x.name)}` }, x.name)),
    h('td', {}, x.group),
    h('td', { class: 'state' }, badge(x.state), x.missed_heartbeats > 0 && x.state !== 'revoked' ? h('span', { class: 'muted small' }, ` ${x.missed_heartbeats} missed`) : null),
    h('td', { title: time(x.last_seen) }, ago(x.last_seen)),
    h('td', {}, x.version ?? '—'),
    h('td', {}, bytes(x.lag_bytes)),
    h('td', {}, x.files ?? '—'),
    h('td', { class: 'vms' }, x.vms_checked === null || x.vms_checked === undefined ? '—' : h('a', { href: `/hosts/${enc(x.name)}` }, String(x.vms_checked))),
    h('td', {}, pending),
    h('td', { class: 'error-text' }, x.last_error ?? ''));
}

export async function hostDetail({ name }) {
  const d = await get(`/api/hosts/${enc(name)}`);
  const x = d.host;
  const recent = await get(`/api/alerts?host=${enc(name)}&limit=20`);
  show(
    h('p', {}, h('a', { href: '/hosts' }, '← Hosts')),
    h('h1', {}, x.name, ' ', badge(x.state)),
    h('section', { class: 'card' }, h('table', { class: 'kv', id: 'host-details' }, [
      ['Group', x.group], ['Last seen', `${time(x.last_seen)} (${ago(x.last_seen)})`], ['Heartbeat', `every ${x.heartbeat_interval_s} s, ${x.missed_heartbeats} missed`],
      ['Version', x.version ?? '—'], ['Lag', bytes(x.lag_bytes)], ['Files watched', x.files ?? '—'],
      ['Pending per sink', x.pending ? JSON.stringify(x.pending) : '—'], ['Last error', x.last_error ?? '—'], ['Enrolled', time(x.enrolled)], ['Revoked', time(x.revoked)],
    ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))))),
    h('section', { class: 'card' }, h('h2', {}, 'VMs and their last checks'),
      x.vms_checked !== null && x.vms_checked > d.vms.filter((v) => v.last_check).length
        ? h('p', { class: 'muted' }, `The agent checks ${x.vms_checked} VMs; its heartbeat names the ${d.vms.filter((v) => v.last_check).length} checked most recently.`) : null,
      d.vms.length ? h('table', { class: 'table', id: 'host-vms' },
        h('thead', {}, h('tr', {}, ['VM', 'Last check', 'Logs', 'Anomalous', 'Unreadable', 'Alerts', 'Newest alert'].map((t) => h('th', {}, t)))),
        h('tbody', {}, d.vms.map((v) => h('tr', { dataset: { vm: v.vm } },
          h('td', {}, h('a', { href: `/alerts?host=${enc(name)}&vm=${enc(v.vm)}` }, v.vm)),
          h('td', { class: 'last-check' }, v.last_check ? `${time(v.last_check)} (${ago(v.last_check)})` : 'not reported'),
          h('td', { class: 'logs' }, v.logs ?? '—'), h('td', { class: 'anomalous' }, v.anomalous ?? '—'), h('td', { class: 'failed' }, v.failed ?? '—'),
          h('td', { class: 'alerts' }, v.alerts), h('td', {}, v.last_alert ? time(v.last_alert) : '—')))))
        : h('p', { class: 'muted' }, 'The agent reported no VM and no VM has raised an alert.')),
    h('section', { class: 'card' }, h('h2', {}, 'Newest alerts'), alertList(recent.alerts, 'host-alerts')),
  );
}

// ---- Fingerprints -----------------------------------------------------------------------------

export async function fingerprints() {
  const { profiles } = await get('/api/profiles');
  show(
    h('h1', {}, 'Fingerprints'),
    h('table', { id: 'profiles-table', class: 'table' },
      h('thead', {}, h('tr', {}, ['Profile', 'Window', 'Detector', 'Transitions', 'Calls', 'Logs learnt', 'Last learnt', 'Seal', 'Groups', 'Last change'].map((t) => h('th', {}, t)))),
      h('tbody', {}, profiles.map((p) => h('tr', { dataset: { profile: p.name } },
        h('td', {}, h('a', { href: `/fingerprints/${enc(p.name)}` }, p.name)), h('td', {}, p.window), h('td', {}, `${p.detector} ${p.threshold}`),
        h('td', {}, p.transitions), h('td', {}, p.calls), h('td', {}, p.logs), h('td', {}, ago(p.last_learnt)),
        h('td', {}, sealText(p.seal)), h('td', { class: 'groups' }, groupsText(p.groups)),
        h('td', {}, p.last_change ? `${p.last_change.actor}, ${ago(p.last_change.time)}` : '—'))))),
    profiles.length ? null : h('p', { class: 'muted' }, 'No profile learnt yet.'),
  );
}

/** The groups whose agents receive a profile: null is every group (never assigned), [] none. */
function groupsText(groups) {
  if (groups == null) return 'all groups';
  return groups.length ? groups.join(', ') : 'no group';
}

function sealText(seal) {
  return h('span', {}, badge(seal.state), seal.key_id ? h('span', { class: 'muted small' }, ` key ${seal.key_id.slice(0, 12)}, ${time(seal.sealed_at)}`) : null);
}

export async function fingerprintDetail({ name }) {
  const d = await get(`/api/profiles/${enc(name)}`);
  const p = d.profile;
  show(
    h('p', {}, h('a', { href: '/fingerprints' }, '← Fingerprints')),
    h('h1', {}, `Profile ${p.name}`),
    h('section', { class: 'card' }, h('table', { class: 'kv', id: 'profile-details' }, [
      ['Window', p.window], ['Detector', `${p.detector}, threshold ${p.threshold}`], ['Size', `${p.transitions} transitions over ${p.calls} calls`],
      ['Logs learnt', `${p.logs}, the last ${ago(p.last_learnt)}`], ['Seal', sealText(p.seal)], ['Agents of', groupsText(p.groups)],
      ['Changed by', p.last_change ? `${p.last_change.actor} at ${time(p.last_change.time)}: ${p.last_change.detail}` : 'no change from the console'],
    ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))))),
    h('div', { class: 'grid2' },
      h('section', { class: 'card' }, h('h2', {}, 'Transition matrix (previous call → next call)'), heatmap(d.matrix, { id: 'heatmap' })),
      h('section', { class: 'card' }, h('h2', {}, 'Convergence: new transitions per learnt log'), convergence(d.convergence, { id: 'convergence' }),
        h('p', { class: 'muted small' }, 'Blue: new transitions brought by each log. Grey: the fingerprint\'s size. A flat blue line means the fingerprint has stabilised.'))),
    h('section', { class: 'card' }, h('h2', {}, 'Successor arrays (the paper\'s fingerprint)'),
      h('table', { class: 'table successors', id: 'successors' }, h('tbody', {}, d.successors.map((x) => h('tr', {},
        h('th', {}, `${x.call} (${x.nr})`), h('td', {}, x.next.length ? x.next.join(', ') : '—')))))),
    d.changes.length ? h('section', { class: 'card' }, h('h2', {}, 'Changes from the console'), changeList(d.changes)) : null,
  );
}

// ---- Learning across the fleet ----------------------------------------------------------------

const DURATIONS = [['30 min', 1800], ['1 h', 3600], ['2 h', 7200], ['6 h', 21600], ['24 h', 86400]];

/** What the form last sent: drawn again with it, so that the page shows what was just asked. */
let lastWindow = { group: 'default', profile: null, duration_s: 1800 };

export async function learning() {
  const [{ learning_windows: windows }, { profiles }] = await Promise.all([get('/api/learning-windows'), get('/api/profiles')]);
  const form = h('form', { class: 'filters', id: 'open-window', onsubmit: openWindow },
    h('label', {}, 'Group', h('input', { type: 'text', id: 'window-group', required: true, maxlength: 253, value: lastWindow.group, pattern: '[A-Za-z0-9._\\-]+' })),
    h('label', {}, 'Profile', h('select', { id: 'window-profile' },
      profiles.map((p) => h('option', { value: p.name, selected: p.name === lastWindow.profile }, p.name)))),
    h('label', {}, 'Open for', h('select', { id: 'window-duration' },
      DURATIONS.map(([text, seconds]) => h('option', { value: String(seconds), selected: seconds === lastWindow.duration_s }, text)))),
    h('button', { type: 'submit', id: 'window-open' }, 'Open the window'));
  show(
    h('h1', {}, 'Learning across the fleet'),
    h('section', { class: 'card' }, h('h2', {}, 'Open a learning window'),
      h('p', { class: 'muted' }, 'While it is open, the agents of the group upload what each finished log teaches the profile (the calls that follow each other and their counts, never the log). '
        + 'When it closes, the server learns every upload into the profile once and the change reaches every agent. Only normal runs should happen meanwhile: open it for a new release, on hosts you trust.'),
      profiles.length ? form : h('p', { class: 'muted' }, 'No profile yet: learn one first (sysprint train --db ...).')),
    h('section', { class: 'card' }, h('h2', {}, 'Windows'),
      windows.length ? h('table', { class: 'table', id: 'learning-windows' },
        h('thead', {}, h('tr', {}, ['#', 'Group', 'Profile', 'State', 'Opened', 'Closes', 'Hosts', 'Logs', 'Learnt', 'New transitions', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, windows.map(windowRow)))
        : h('p', { class: 'muted' }, 'No learning window yet.')),
  );
}

function windowRow(w) {
  const closes = w.closed && w.closed < w.closes ? w.closed : w.closes;
  return h('tr', { dataset: { window: String(w.id), state: w.state } },
    h('td', {}, `#${w.id}`), h('td', {}, w.group), h('td', {}, h('a', { href: `/fingerprints/${enc(w.profile)}` }, w.profile)),
    h('td', { class: 'state' }, badge(w.state)), h('td', { title: time(w.opened) }, ago(w.opened)), h('td', {}, time(closes)),
    h('td', { class: 'hosts' }, w.hosts), h('td', { class: 'logs' }, w.logs), h('td', { class: 'learnt' }, w.learnt_logs ?? '—'),
    h('td', { class: 'added' }, w.new_transitions ?? '—'),
    h('td', {}, w.state === 'open' ? h('button', { class: 'secondary close-window', onclick: () => closeWindow(w) }, 'Close now') : null));
}

async function openWindow(event) {
  event.preventDefault();
  const body = {
    group: document.getElementById('window-group').value.trim(),
    profile: document.getElementById('window-profile').value,
    duration_s: Number(document.getElementById('window-duration').value),
  };
  lastWindow = body;
  try {
    const w = await post('/api/learning-windows', body);
    toast(`Learning window #${w.id} open: group ${w.group}, profile ${w.profile}, until ${time(w.closes)}`);
    await rerender();
  } catch (error) {
    toast(error.message);
  }
}

async function closeWindow(w) {
  try {
    await post(`/api/learning-windows/${w.id}/close`);
    toast(`Learning window #${w.id} closed: what it gathered is learnt into ${w.profile}`);
    await rerender();
  } catch (error) {
    toast(error.message);
  }
}

// ---- Navigation -------------------------------------------------------------------------------

let rerenderHook = async () => {};

/** Set by the router: draws the current page again (after a change). */
export function setRerender(fn) {
  rerenderHook = fn;
}

async function rerender() {
  await rerenderHook();
}

export function navigate(path) {
  history.pushState(null, '', path);
  return rerender();
}

export { failure };
