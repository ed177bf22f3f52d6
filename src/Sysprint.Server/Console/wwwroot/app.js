// The console's entry point: who is signed in, the router (pages are real paths, drawn here from
// the JSON API), links handled without a reload, and the live feed (server-sent events).

import { get, post, setCsrf } from './api.js';
import { show, toast, failure } from './dom.js';
import * as pages from './pages.js';

const routes = [
  [/^\/$/, pages.overview, 'overview'],
  [/^\/alerts$/, pages.alerts, 'alerts'],
  [/^\/alerts\/(?<seq>\d+)$/, pages.alertDetail, 'alerts'],
  [/^\/hosts$/, pages.hosts, 'hosts'],
  [/^\/hosts\/(?<name>[^/]+)$/, pages.hostDetail, 'hosts'],
  [/^\/fingerprints$/, pages.fingerprints, 'fingerprints'],
  [/^\/fingerprints\/(?<name>[^/]+)$/, pages.fingerprintDetail, 'fingerprints'],
  [/^\/learning$/, pages.learning, 'learning'],
];

let live = null;
let rendering = 0;

async function render() {
  const ticket = ++rendering;
  const path = location.pathname;
  const route = routes.find(([pattern]) => pattern.test(path));
  for (const link of document.querySelectorAll('nav a')) {
    link.classList.toggle('active', route !== undefined && link.dataset.nav === route[2]);
  }
  live = null;
  if (!route) {
    show(failure(new Error(`No page at ${path}`)));
    return;
  }
  const params = Object.fromEntries(Object.entries(path.match(route[0]).groups || {}).map(([k, v]) => [k, decodeURIComponent(v)]));
  try {
    const handler = await route[1](params);
    if (ticket === rendering) {
      live = handler || null;
      document.body.dataset.page = route[2];
      document.body.dataset.ready = String(ticket);
    }
  } catch (error) {
    if (ticket === rendering) show(failure(error));
  }
}

function connect() {
  const status = document.getElementById('live');
  const events = new EventSource('/api/events');
  events.addEventListener('hello', () => {
    status.textContent = 'live';
    status.className = 'live on';
  });
  events.addEventListener('alert', (event) => {
    const alert = JSON.parse(event.data);
    if (live && live.alert) live.alert(alert);
    toast(`New alert on ${alert.host}${alert.vm ? ` / ${alert.vm}` : ''}`);
  });
  events.addEventListener('host', (event) => {
    const host = JSON.parse(event.data);
    if (live && live.host) live.host(host);
  });
  events.addEventListener('store', (event) => {
    const store = JSON.parse(event.data);
    status.textContent = store.available ? 'live' : 'store away';
    status.className = store.available ? 'live on' : 'live off';
  });
  events.onerror = () => {
    status.textContent = 'reconnecting…';
    status.className = 'live off';
  };
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/static/')) return;
  event.preventDefault();
  pages.navigate(url.pathname + url.search);
});

window.addEventListener('popstate', render);
pages.setRerender(render);

async function start() {
  try {
    const session = await get('/api/session');
    setCsrf(session.csrf);
    document.getElementById('user').textContent = session.user;
  } catch (error) {
    show(failure(error));
    return;
  }
  document.getElementById('sign-out').addEventListener('click', async () => {
    await post('/logout');
    location.assign('/login');
  });
  connect();
  await render();
}

start();
