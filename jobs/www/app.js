// filmrestored's page: polls /api/jobs once a second and redraws the table in
// place. A job's full status (its spec, start and end) is asked once per change
// of state. Text from the service only ever goes in through textContent.
'use strict';
const csrf = document.querySelector('meta[name="csrf"]').content;
const tbody = document.querySelector('#jobs tbody');
const full = new Map();   // id -> FULL status, refreshed on each change of state
const open = new Map();   // id -> what its detail row shows: 'log', 'sheet', 'verify'
const POLL_MS = 1000;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
const base = (p) => (p || '').split('/').pop();
function clock(t) {
  if (!t) return '';
  const d = new Date(t * 1000), today = new Date();
  return d.toDateString() === today.toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}
function eta(s) {
  if (s < 0) return '';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, x = s % 60;
  return (h ? h + ':' + String(m).padStart(2, '0') : m) + ':' + String(x).padStart(2, '0');
}
function problem(text) {
  const p = document.getElementById('problem');
  p.hidden = !text;
  p.textContent = text || '';
}

async function post(id, what) {
  const r = await fetch(`/api/jobs/${id}/${what}`, { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
  const body = await r.json().catch(() => ({ ok: false, error: `HTTP ${r.status}` }));
  if (!body.ok) problem(`${what} ${id}: ${body.error}`);
  else if (what === 'resubmit') problem('');
  poll();
  return body;
}

function button(label, cls, onclick) {
  const b = el('button', cls, label);
  b.type = 'button';
  b.addEventListener('click', onclick);
  return b;
}

function toggle(id, what) {
  if (open.get(id) === what) open.delete(id);
  else open.set(id, what);
  detail(id, true);
}

// The detail row under a job: its log, its contact sheet or its verify result.
async function detail(id, fresh) {
  const row = document.getElementById('detail-' + id);
  if (!row) return;
  const what = open.get(id);
  row.hidden = !what;
  if (!what || (!fresh && what !== 'log')) return;
  const cell = row.firstChild;
  if (cell.dataset.what !== what) cell.replaceChildren();
  cell.dataset.what = what;
  if (what === 'sheet') {
    const img = el('img', 'sheet');
    img.alt = `contact sheet of ${id}`;
    img.src = `/api/jobs/${id}/sheet.png`;
    cell.replaceChildren(el('div', '', 'Contact sheet (frames from the output):'), img);
  } else if (what === 'verify') {
    cell.replaceChildren(el('div', 'verify', 'verifying…'));
    const r = await fetch(`/api/jobs/${id}/verify`);
    const v = await r.json().catch(() => ({ ok: false, error: `HTTP ${r.status}` }));
    const head = v.exit_code === undefined ? el('div', 'verify verify-bad', `verify: ${v.error}`)
      : el('div', 'verify ' + (v.ok ? 'verify-ok' : 'verify-bad'),
           v.ok ? 'verify: passed' : `verify: FAILED (exit ${v.exit_code})`);
    cell.replaceChildren(head, el('pre', 'log', v.output || ''));
  } else {
    const r = await fetch(`/api/jobs/${id}/log`);
    const text = r.ok ? await r.text() : `HTTP ${r.status}`;
    let pre = cell.querySelector('pre.log');
    if (!pre) { pre = el('pre', 'log'); cell.replaceChildren(el('div', '', `Last lines of ${id}'s log:`), pre); }
    if (pre.textContent !== text) { pre.textContent = text; pre.scrollTop = pre.scrollHeight; }
  }
}

function rowFor(id) {
  let tr = document.getElementById('job-' + id);
  if (tr) return tr;
  tr = el('tr');
  tr.id = 'job-' + id;
  tr.dataset.id = id;
  for (const c of ['id', 'state', 'names', 'stage', 'progress', 'fps num', 'eta num', 'started', 'ended', 'actions'])
    tr.appendChild(el('td', c));
  const d = el('tr', 'detail');
  d.id = 'detail-' + id;
  d.hidden = true;
  const cell = el('td');
  cell.colSpan = 10;
  d.appendChild(cell);
  tbody.prepend(d);   // newest first
  tbody.prepend(tr);
  return tr;
}

function draw(j) {
  const tr = rowFor(j.id), f = full.get(j.id) || {}, spec = f.spec || {};
  const td = (c) => tr.querySelector('td.' + c.split(' ')[0]);
  td('id').textContent = j.id;
  const st = td('state');
  st.replaceChildren(el('span', '', j.state));
  if (f.error && f.state === j.state) st.appendChild(el('span', 'error', f.error));
  st.className = 'state state-' + j.state;
  tr.dataset.state = j.state;
  td('names').textContent = spec.input ? `${base(spec.input)} → ${base(spec.output)}` : '';
  td('names').title = spec.input ? `${spec.input} → ${spec.output}` : '';
  td('stage').textContent = j.stage;
  const pc = td('progress');
  let bar = pc.querySelector('progress');
  if (!bar) { bar = el('progress'); pc.replaceChildren(bar, el('span', 'frames')); }
  const total = j.total > 0 ? j.total : 0;
  if (total) { bar.max = total; bar.value = Math.min(j.done, total); } else if (j.state === 'done') { bar.max = 1; bar.value = 1; } else bar.removeAttribute('value');
  pc.querySelector('.frames').textContent = j.total >= 0 ? `${j.done} / ${j.total} frames` : '';
  td('fps').textContent = j.state === 'running' && j.fps > 0 ? j.fps.toFixed(1) : '';
  td('eta').textContent = j.state === 'running' ? eta(j.eta) : '';
  td('started').textContent = clock(f.started);
  td('ended').textContent = clock(f.finished);
  const act = td('actions');
  const want = [];
  if (j.state === 'queued' || j.state === 'running') want.push('cancel');
  if (j.state === 'failed' || j.state === 'cancelled') want.push('resubmit');
  if (j.state === 'done') want.push('sheet', 'verify');
  want.push('log');
  const have = [...act.children].map((b) => b.dataset.what).join();
  if (have !== want.join()) {
    const labels = { cancel: 'Cancel', resubmit: 'Resubmit', sheet: 'Contact sheet', verify: 'Verify', log: 'Log' };
    act.replaceChildren(...want.map((w) => {
      const b = button(labels[w], w, () => (w === 'cancel' || w === 'resubmit') ? post(j.id, w) : toggle(j.id, w));
      b.dataset.what = w;
      return b;
    }));
  }
}

async function refreshFull(j) {
  const r = await fetch(`/api/jobs/${j.id}`);
  if (!r.ok) return;
  const body = await r.json();
  if (body.ok) full.set(j.id, body.job);
}

let timer = null, busy = false;
async function poll() {
  clearTimeout(timer);
  if (busy) { timer = setTimeout(poll, 100); return; }
  busy = true;
  try {
    const r = await fetch('/api/jobs');
    if (r.status === 401) { location.reload(); return; }
    const body = await r.json();
    if (!body.ok) throw new Error(body.error);
    const stale = body.jobs.filter((j) => {
      const f = full.get(j.id);
      return !f || f.state !== j.state || (j.state === 'running' && !f.started);
    });
    await Promise.all(stale.map(refreshFull));
    for (const j of body.jobs) draw(j);
    for (const id of open.keys()) detail(id, false);
    const n = (s) => body.jobs.filter((j) => j.state === s).length;
    document.getElementById('summary').textContent =
      `${body.jobs.length} jobs: ${n('running')} running, ${n('queued')} queued, ${n('done')} done, ` +
      `${n('failed')} failed, ${n('cancelled')} cancelled · updated ${new Date().toLocaleTimeString()}`;
    document.getElementById('empty').hidden = body.jobs.length > 0;
    if (document.getElementById('problem').textContent.startsWith('cannot reach')) problem('');
  } catch (e) {
    problem(`cannot reach the service: ${e.message}`);
  } finally {
    busy = false;
    timer = setTimeout(poll, POLL_MS);
  }
}
poll();
