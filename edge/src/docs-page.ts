/**
 * `/docs`: a self-contained page that fetches `/openapi.json` and lists every operation
 * with its parameters, body schema and responses. No CDN (edges often have no internet),
 * no framework: a few lines of inline script.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>edgerec edge API</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
  .op { border: 1px solid #ddd; border-radius: 6px; margin: 1rem 0; padding: .6rem 1rem; }
  .m { display: inline-block; min-width: 4.5rem; font-weight: 700; text-transform: uppercase; }
  .get { color: #0a6; } .post { color: #06c; } .delete { color: #c33; }
  code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
  pre { background: #f6f6f6; padding: .5rem; overflow: auto; max-height: 20rem; }
  table { border-collapse: collapse; } td { padding: 0 .8rem 0 0; vertical-align: top; }
  details summary { cursor: pointer; }
</style>
</head>
<body>
<h1 id="title">edgerec edge API</h1>
<p id="desc"></p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<div id="ops">Loading…</div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const json = (v) => '<pre>' + esc(JSON.stringify(v, null, 2)) + '</pre>';
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.getElementById('desc').textContent = doc.info.description || '';
  let html = '';
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      html += '<div class="op"><div><span class="m ' + method + '">' + method + '</span> <code>' + esc(path) + '</code> — ' + esc(op.summary) + '</div>';
      if (op.description) html += '<p>' + esc(op.description) + '</p>';
      if (op.parameters) {
        html += '<table>' + op.parameters.map((p) => '<tr><td><code>' + esc(p.name) + '</code></td><td>' + esc(p.in) + (p.required ? ', required' : '') + '</td><td>' + esc(p.description || '') + '</td></tr>').join('') + '</table>';
      }
      if (op.requestBody) html += '<details><summary>Request body</summary>' + json(op.requestBody.content) + '</details>';
      html += '<details><summary>Responses: ' + Object.keys(op.responses).join(', ') + '</summary>' + json(op.responses) + '</details></div>';
    }
  }
  html += '<details><summary>Schemas</summary>' + json(doc.components.schemas) + '</details>';
  document.getElementById('ops').innerHTML = html;
}).catch((e) => { document.getElementById('ops').textContent = 'Could not load /openapi.json: ' + e; });
</script>
</body>
</html>
`;
