/*
 * edgerec central console: plain DOM + fetch, no framework. Data comes from the admin API
 * with the bearer token kept in sessionStorage; live updates arrive as server-sent events
 * read through fetch (EventSource cannot send an Authorization header), with 2 s polling
 * as the fallback. Every value from the server is rendered with textContent.
 */
(function () {
  'use strict';
  var TOKEN_KEY = 'edgerec.adminToken';
  var $ = function (id) { return document.getElementById(id); };
  var state = { role: null, sync: null, policy: null, models: [], live: null, refreshTimer: null, pollTimer: null, streamAbort: null };

  // ---------- small DOM helpers ----------
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k] === null || attrs[k] === undefined ? '' : String(attrs[k]);
      else if (k === 'onclick') e.addEventListener('click', attrs[k]);
      else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function badge(text, cls) { return el('span', { class: 'badge ' + (cls || text), text: text }); }
  function fmt(v, d) {
    if (v === null || v === undefined) return '–';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(d === undefined ? 4 : d);
    return String(v);
  }
  function ago(ms) {
    if (!ms) return '–';
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago';
  }
  function bytes(n) {
    if (n === null || n === undefined) return '–';
    return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(2) + ' MiB';
  }
  function table(headers, rows) {
    var head = el('tr', {}, headers.map(function (h) { return el('th', { text: h }); }));
    return el('table', {}, [el('thead', {}, [head]), el('tbody', {}, rows)]);
  }
  function replace(id, node) { var box = $(id); box.textContent = ''; if (node) box.appendChild(node); }
  function toast(text, isError) {
    var t = $('toast');
    t.textContent = text;
    t.className = 'show' + (isError ? ' error' : '');
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.className = ''; }, 4000);
  }

  // ---------- API ----------
  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function api(method, path, body) {
    var headers = { authorization: 'Bearer ' + token() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) }).then(function (res) {
      if (res.status === 401) { signOut('Token refused — sign in again.'); throw new Error('unauthenticated'); }
      var type = res.headers.get('content-type') || '';
      var parsed = type.indexOf('application/json') === 0 ? res.json() : res.text();
      return parsed.then(function (data) {
        if (!res.ok) throw new Error(data && data.error ? data.error.code + ': ' + data.error.message : 'HTTP ' + res.status);
        return data;
      });
    });
  }
  function act(question, method, path, body) {
    if (!window.confirm(question)) return Promise.resolve(null);
    return api(method, path, body).then(function (r) {
      toast('done: ' + method + ' ' + path);
      scheduleRefresh(0);
      return r;
    }, function (e) { toast(e.message, true); return null; });
  }

  // ---------- rendering ----------
  function renderSync(sync, policy) {
    state.sync = sync;
    state.policy = policy;
    var parts = [
      sync.stopped ? badge('stopped') : badge('running', 'live'),
      ' active model v' + sync.activeVersion + ' · open round ' + fmt(sync.currentRound),
      sync.canary ? ' · canary v' + sync.canary.version + ' on ' + sync.canary.nodeIds.join(', ') : '',
      ' · strategy ' + policy.strategy.name + ', min nodes ' + policy.minNodes + ', deadline ' + policy.deadlineMs + ' ms',
    ];
    replace('sync-status', el('div', {}, parts));
    $('summary').textContent = 'v' + sync.activeVersion + ' · round ' + fmt(sync.currentRound);
    var f = $('policy-form');
    if (!f.contains(document.activeElement)) {
      f.minNodes.value = policy.minNodes;
      f.deadlineMs.value = policy.deadlineMs;
      f.strategy.value = policy.strategy.name;
      f.codec.value = policy.codec || '';
      f.maxStaleness.value = policy.maxStaleness;
    }
  }

  function renderNodes(data) {
    var rows = [];
    Object.keys(data.regions).sort().forEach(function (region) {
      var ids = data.regions[region];
      rows.push(el('tr', { class: 'region', 'data-region': region }, [el('th', { colspan: '9' }, [
        'region ' + region + ' (' + ids.length + ') ',
        el('button', { type: 'button', class: 'operator', text: 'pause region',
          onclick: function () { act('Pause every node of region ' + region + '?', 'POST', '/admin/regions/' + encodeURIComponent(region) + '/pause', {}); } }),
        el('button', { type: 'button', class: 'operator', text: 'resume region',
          onclick: function () { act('Resume region ' + region + '?', 'POST', '/admin/regions/' + encodeURIComponent(region) + '/resume', {}); } }),
      ])]));
      data.nodes.filter(function (n) { return (n.region || '?') === region; }).forEach(function (n) {
        var id = encodeURIComponent(n.nodeId);
        var flags = [n.online ? badge('online') : badge('offline')];
        if (n.paused) flags.push(badge('paused'));
        if (n.quarantined) flags.push(badge('quarantined'));
        if (n.canary) flags.push(badge('canary'));
        var quality = Object.keys(n.quality).map(function (k) { return k + '=' + n.quality[k]; }).join(' ');
        rows.push(el('tr', { 'data-node': n.nodeId, 'data-online': String(n.online) }, [
          el('td', { text: n.nodeId }), el('td', {}, flags), el('td', { text: 'v' + fmt(n.modelVersion) }),
          el('td', { text: fmt(n.outboxSize) }), el('td', { text: ago(n.lastDeltaAt) }), el('td', { text: ago(n.lastSeen) }),
          el('td', { text: fmt(n.eventsIngested) }), el('td', { text: quality || '–' }),
          el('td', {}, [
            el('button', { type: 'button', class: 'operator ' + (n.paused ? 'resume' : 'pause'), text: n.paused ? 'resume' : 'pause',
              onclick: function () { act((n.paused ? 'Resume ' : 'Pause ') + n.nodeId + '?', 'POST', '/admin/nodes/' + id + (n.paused ? '/resume' : '/pause'), {}); } }),
            el('button', { type: 'button', class: 'operator danger ' + (n.quarantined ? 'release' : 'quarantine'), text: n.quarantined ? 'release' : 'quarantine',
              onclick: function () { act((n.quarantined ? 'Release ' : 'Quarantine ') + n.nodeId + '? ' + (n.quarantined ? '' : 'Its deltas will be refused.'), 'POST', '/admin/nodes/' + id + (n.quarantined ? '/release' : '/quarantine'), {}); } }),
          ]),
        ]));
      });
    });
    replace('nodes', rows.length ? table(['node', 'state', 'model', 'outbox', 'last delta', 'last seen', 'events', 'data quality', ''], rows)
      : el('p', { class: 'muted', text: 'No node has reported yet.' }));
  }

  function renderRounds(rounds) {
    var rows = rounds.slice(0, 25).map(function (r) {
      return el('tr', { 'data-round': String(r.id), 'data-state': r.state }, [
        el('td', { text: r.id }), el('td', {}, [badge(r.state)]), el('td', { text: 'v' + r.baseVersion + (r.candidateVersion ? ' → v' + r.candidateVersion : '') }),
        el('td', { text: r.participants }), el('td', { text: r.samples }), el('td', { text: bytes(r.bytesUp) }),
        el('td', { text: fmt(r.aggregationMs, 1) }), el('td', { text: r.strategy }), el('td', { text: ago(r.openedAt) }),
        el('td', { text: r.reason || '' }),
      ]);
    });
    replace('rounds', table(['round', 'state', 'model', 'nodes', 'samples', 'bytes up', 'agg ms', 'strategy', 'opened', 'reason'], rows));
  }

  function renderModels(data) {
    state.models = data.models;
    var canaryRunning = state.sync && state.sync.canary;
    var rows = data.models.map(function (m) {
      var v = m.version;
      var released = m.status === 'promoted' || m.status === 'rolled-back';
      var flags = [badge(m.status)];
      if (m.active) flags.push(badge('active'));
      if (m.canary) flags.push(badge('canary'));
      var buttons = [];
      if (!m.active && v > data.activeVersion) buttons.push(el('button', { type: 'button', class: 'operator promote', text: 'promote',
        onclick: function () { act('Promote v' + v + ' to every edge?', 'POST', '/admin/models/' + v + '/promote', {}); } }));
      if (!m.active && released) buttons.push(el('button', { type: 'button', class: 'operator danger rollback', text: 'rollback',
        onclick: function () { act('Roll back to v' + v + '? Its weights are re-released as a new version.', 'POST', '/admin/models/' + v + '/rollback', {}); } }));
      if (!m.active && !canaryRunning) buttons.push(el('button', { type: 'button', class: 'operator canary', text: 'canary',
        onclick: function () {
          var answer = window.prompt('Canary v' + v + ' on: a fraction of online nodes (e.g. 0.3) or node ids separated by commas', '0.5');
          if (answer === null) return;
          var frac = Number(answer);
          var body = isFinite(frac) && answer.trim() !== '' ? { fraction: frac } : { nodeIds: answer.split(',').map(function (s) { return s.trim(); }).filter(Boolean) };
          act('Start a canary of v' + v + '?', 'POST', '/admin/models/' + v + '/canary', body);
        } }));
      buttons.push(el('button', { type: 'button', class: 'artifact', text: 'artifact', onclick: function () { download('/admin/models/' + v + '/artifact', 'model-v' + v + '.bin'); } }));
      return el('tr', { 'data-version': String(v), 'data-status': m.status }, [
        el('td', { text: 'v' + v }), el('td', { text: m.parent === null ? '–' : 'v' + m.parent }), el('td', {}, flags),
        el('td', { text: fmt(m.metrics['hr@10']) }), el('td', { text: fmt(m.metrics['ndcg@10']) }),
        el('td', { text: fmt(m.metrics['fed_hr@10']) }), el('td', { text: fmt(m.metrics['fed_ndcg@10']) }),
        el('td', { text: bytes(m.size) }), el('td', { text: ago(m.createdAt) }), el('td', { text: m.reason || '' }), el('td', {}, buttons),
      ]);
    });
    replace('models', table(['version', 'parent', 'status', 'HR@10', 'NDCG@10', 'fed HR@10', 'fed NDCG@10', 'size', 'created', 'reason', ''], rows));
  }

  function renderCanary() {
    var c = state.sync && state.sync.canary;
    if (!c) { replace('canary', null); return; }
    api('GET', '/admin/models/' + c.version + '/canary').then(function (v) {
      var m = function (x) { return x ? 'HR@10 ' + fmt(x.hr10) + ', NDCG@10 ' + fmt(x.ndcg10) + ' (' + x.users + ' users, ' + x.nodes + ' nodes)' : 'no reports yet'; };
      replace('canary', el('div', { class: 'actions' }, [
        badge('canary'), ' v' + v.version + ' on ' + v.nodeIds.join(', ') + ': ' + m(v.canary) + ' vs rest ' + m(v.rest)
          + (v.hr10Delta === null ? '' : ' · ΔHR@10 ' + fmt(v.hr10Delta)),
        el('button', { type: 'button', class: 'operator', text: 'promote canary',
          onclick: function () { act('Promote canary v' + v.version + ' to every edge?', 'POST', '/admin/models/' + v.version + '/promote', {}); } }),
        el('button', { type: 'button', class: 'operator danger', text: 'abort canary',
          onclick: function () { act('Abort the canary of v' + v.version + '?', 'DELETE', '/admin/models/' + v.version + '/canary', {}); } }),
      ]));
    }, function () { replace('canary', null); });
  }

  function renderCharts(report) {
    var charts = window.EdgerecCharts;
    var rounds = report.rounds.filter(function (r) { return r.outcome === 'promoted' || r.outcome === 'rejected'; });
    var rx = rounds.map(function (r) { return r.roundId; });
    charts.lineChart($('chart-bytes'), { title: 'Bytes up per round', x: rx, xLabel: 'round', yLabel: 'bytes', bars: true, width: 520, series: [
      { label: 'encoded', values: rounds.map(function (r) { return r.bytesUp; }) },
      { label: 'dense float32', values: rounds.map(function (r) { return r.denseBytesUp; }) },
    ] });
    charts.lineChart($('chart-participants'), { title: 'Participants and aggregation ms', x: rx, xLabel: 'round', width: 520, series: [
      { label: 'nodes', values: rounds.map(function (r) { return r.participants; }) },
      { label: 'aggregation ms', values: rounds.map(function (r) { return r.aggregationMs; }) },
    ] });
    var vs = report.versions;
    charts.lineChart($('chart-quality'), { title: 'HR@10 / NDCG@10 per version', x: vs.map(function (v) { return v.version; }), xLabel: 'version', width: 720, series: [
      { label: 'holdout HR@10', values: vs.map(function (v) { return v.hr10; }) }, { label: 'holdout NDCG@10', values: vs.map(function (v) { return v.ndcg10; }) },
      { label: 'federated HR@10', values: vs.map(function (v) { return v.fedHr10; }) }, { label: 'federated NDCG@10', values: vs.map(function (v) { return v.fedNdcg10; }) },
    ] });
  }

  function renderAudit(entries) {
    replace('audit', table(['when', 'actor', 'role', 'action', 'target', 'details'], entries.slice(0, 30).map(function (a) {
      return el('tr', { 'data-action': a.action }, [el('td', { text: new Date(a.ts).toISOString().slice(0, 19).replace('T', ' ') }), el('td', { text: a.actor }),
        el('td', { text: a.role }), el('td', { text: a.action }), el('td', { text: a.target || '' }), el('td', { text: JSON.stringify(a.details) })]);
    })));
  }

  function applyRole() {
    var viewer = state.role !== 'operator';
    document.querySelectorAll('button.operator').forEach(function (b) { b.disabled = viewer; if (viewer) b.title = 'operator role required'; });
  }

  function refresh() {
    return Promise.all([api('GET', '/admin/rounds?limit=50'), api('GET', '/admin/policy'), api('GET', '/admin/nodes'), api('GET', '/admin/models?limit=100'),
      api('GET', '/admin/audit?limit=30'), api('GET', '/admin/reports/rounds.json?limit=200')]).then(function (r) {
      renderSync(r[0].sync, r[1].policy);
      renderNodes(r[2]);
      renderRounds(r[0].rounds);
      renderModels(r[3]);
      renderCanary();
      renderAudit(r[4].entries);
      renderCharts(r[5]);
      applyRole();
      document.body.setAttribute('data-loaded', String(Date.now()));
    }, function (e) { if (e.message !== 'unauthenticated') toast(e.message, true); });
  }
  function scheduleRefresh(delay) {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(refresh, delay === undefined ? 150 : delay);
  }

  // ---------- live updates ----------
  function setLive(mode) { state.live = mode; var b = $('live'); b.textContent = mode; b.className = 'badge ' + mode; }
  function startPolling() {
    setLive('polling');
    clearInterval(state.pollTimer);
    state.pollTimer = setInterval(refresh, 2000);
  }
  function listen() {
    if (!window.ReadableStream || !window.TextDecoder) return startPolling();
    var ctrl = new AbortController();
    state.streamAbort = ctrl;
    fetch('/admin/events', { headers: { authorization: 'Bearer ' + token(), accept: 'text/event-stream' }, signal: ctrl.signal }).then(function (res) {
      if (!res.ok || !res.body) throw new Error('events: HTTP ' + res.status);
      setLive('live');
      clearInterval(state.pollTimer);
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buf = '';
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error('event stream ended');
          buf += decoder.decode(chunk.value, { stream: true });
          var cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            var block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            if (/^event: change/m.test(block)) scheduleRefresh();
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      if (ctrl.signal.aborted || !token()) return;
      startPolling();
      setTimeout(function () { if (token() && state.live === 'polling') listen(); }, 10000);
    });
  }

  // ---------- session ----------
  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.streamAbort) state.streamAbort.abort();
    clearInterval(state.pollTimer);
    $('app').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('whoami').textContent = '';
    $('login-error').textContent = message || '';
    setLive('offline');
  }
  function signIn() {
    return api('GET', '/admin/session').then(function (who) {
      state.role = who.role;
      $('whoami').textContent = who.name + ' (' + who.role + ')';
      $('login').hidden = true;
      $('app').hidden = false;
      $('logout').hidden = false;
      return refresh().then(listen);
    }, function () { /* signOut already showed the form */ });
  }
  function download(path, name) {
    fetch(path, { headers: { authorization: 'Bearer ' + token() } }).then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      if (!name) { window.open(url, '_blank'); return; }
      var a = el('a', { href: url, download: name });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    }).catch(function (e) { toast(e.message, true); });
  }

  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    signIn();
  });
  $('logout').addEventListener('click', function () { signOut(''); });
  $('trigger-round').addEventListener('click', function () { act('Trigger a round now? Edges are told to sync at once.', 'POST', '/admin/rounds', {}); });
  $('close-round').addEventListener('click', function () { act('Close the open round now and aggregate what it has?', 'POST', '/admin/rounds/current/close', {}); });
  $('stop-sync').addEventListener('click', function () { act('Stop federated sync? Deltas will wait in the edges\' outboxes.', 'POST', '/admin/sync/stop', {}); });
  $('start-sync').addEventListener('click', function () { act('Start federated sync again?', 'POST', '/admin/sync/start', {}); });
  $('policy-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var f = e.target;
    var body = { minNodes: Number(f.minNodes.value), deadlineMs: Number(f.deadlineMs.value), maxStaleness: Number(f.maxStaleness.value), codec: f.codec.value || null };
    // Only a changed strategy is sent: re-sending the name would reset its params and DP settings.
    if (!state.policy || f.strategy.value !== state.policy.strategy.name) body.strategy = { name: f.strategy.value };
    act('Save this round policy? It applies from the next round.', 'PUT', '/admin/policy', body);
  });
  $('open-report').addEventListener('click', function () { download('/admin/reports/federated.html'); });
  $('download-csv').addEventListener('click', function () { download('/admin/reports/rounds.csv', 'rounds.csv'); });
  $('download-json').addEventListener('click', function () { download('/admin/reports/rounds.json', 'rounds.json'); });

  if (token()) signIn(); else signOut('');
})();
