/** The sample the playground opens with: two rules of the demo and a user they apply to. */
const SAMPLE = {
  rules: [
    {
      name: 'require-verified-email',
      script: `function requireVerifiedEmail(user, context, callback) {
  if (!user.email_verified) {
    return callback(new UnauthorizedError('Please verify your email before logging in.'));
  }
  callback(null, user, context);
}`,
    },
    {
      name: 'add-roles',
      script: `function addRoles(user, context, callback) {
  const roles = (user.app_metadata && user.app_metadata.roles) || [];
  context.accessToken['https://example.com/roles'] = roles;
  context.idToken['https://example.com/roles'] = roles;
  context.idToken.favourite_colour = 'blue'; // not namespaced: dropped, with a warning
  console.log('roles for', user.email, roles);
  callback(null, user, context);
}`,
    },
  ],
  user: {
    user_id: 'auth0|alice',
    email: 'alice@example.com',
    email_verified: true,
    name: 'Alice',
    app_metadata: { roles: ['admin'] },
    user_metadata: {},
  },
  context: {
    clientID: 'demo-app',
    clientName: 'Demo App',
    protocol: 'oauth2-password',
    connection: 'Employees',
    request: { ip: '203.0.113.7', body: { scope: 'openid profile read:messages', audience: 'https://api.example.com' }, query: {} },
  },
  configuration: { SUPPORT_EMAIL: 'help@example.com' },
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2)
/** The sample as the page's script reads it (JSON fields as the text shown in their editors). */
const SAMPLE_STATE = { rules: SAMPLE.rules, user: pretty(SAMPLE.user), context: pretty(SAMPLE.context), configuration: pretty(SAMPLE.configuration) }
const escapeAttribute = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The rules playground page (served at `/playground`). Its editors are CodeMirror 6, bundled by
 * the server at start ({@link editorBundle}) and served from `editorScript`; the page's own script
 * is inline. It posts to `/playground/run`, which runs the rules in the engine with demo-safe
 * limits. The whole input (rules, user, context, configuration) lives in the URL's fragment
 * (`#state=`, deflate-raw + base64url), so a link shares it without sending it to the server.
 */
export function playgroundPageHtml(editorScript: string): string {
  return PAGE.replace('__EDITOR_SCRIPT__', escapeAttribute(editorScript))
}

const PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rules playground · tokenrules demo</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  :root { --fg: #1d2330; --muted: #525b6b; --line: #d9dee7; --accent: #3454d1; --accent-dark: #243a9c; --bad: #a3221b; --bad-bg: #fdecea; --ok: #1b5e2e; --ok-bg: #eaf6ec; --warn-bg: #fff6dc; }
  * { box-sizing: border-box; }
  html { -webkit-text-size-adjust: 100%; }
  body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f4f6fa; }
  .top { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; flex-wrap: wrap; gap: 4px 20px; align-items: center; justify-content: space-between; }
  .brand { display: flex; align-items: center; gap: 10px; min-width: 0; }
  .brand img { flex: none; }
  .top h1 { font-size: 17px; margin: 0; overflow-wrap: anywhere; }
  .top a { color: #c9d3ff; }
  main { display: grid; grid-template-columns: minmax(0, 1fr); gap: 16px; padding: 16px; max-width: 1500px; margin: 0 auto; }
  @media (min-width: 1000px) { main { grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 20px; padding: 20px 24px; } }
  @media (max-width: 480px) { main { padding: 10px; gap: 12px; } .top { padding: 10px 12px; } }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; min-width: 0; overflow-wrap: anywhere; }
  @media (max-width: 480px) { .card { padding: 12px; } }
  h2 { font-size: 16px; margin: 0 0 6px; } h2:focus { outline: none; }
  h3 { font-size: 13px; margin: 16px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  p { margin: 6px 0; }
  .label { display: block; font-weight: 600; margin: 14px 0 4px; }
  input { width: 100%; font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; border: 1px solid #8a93a3; border-radius: 6px; padding: 7px 8px; min-width: 0; }
  :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  .rule-box { border: 1px solid var(--line); border-radius: 6px; padding: 10px; margin: 10px 0; }
  .rule-head { display: flex; gap: 8px; margin-bottom: 8px; align-items: center; }
  .rule-head .rule-name { flex: 1; resize: none; field-sizing: content; overflow: hidden; font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; border: 1px solid #8a93a3; border-radius: 6px; padding: 7px 8px; min-width: 0; }
  .rule-head .index { font-weight: 600; white-space: nowrap; }
  .editor { --editor-min: 90px; min-width: 0; }
  .editor.rule { --editor-min: 140px; }
  .editor .cm-editor { max-height: 420px; }
  .editor textarea { width: 100%; min-height: 140px; font: 12.5px/1.45 ui-monospace, monospace; }
  button { padding: 8px 14px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  button.secondary { background: #e8ecfb; color: var(--accent-dark); }
  button:disabled { opacity: .6; cursor: progress; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 14px; align-items: center; }
  pre { background: #f7f8fb; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 0; font-size: 12.5px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .status { border-radius: 6px; padding: 10px 12px; font-weight: 600; white-space: pre-wrap; overflow-wrap: anywhere; }
  .status.ok { background: var(--ok-bg); color: var(--ok); } .status.bad { background: var(--bad-bg); color: var(--bad); }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; list-style: none; }
  .chip { background: #e8ecfb; color: var(--accent-dark); border-radius: 999px; padding: 2px 10px; white-space: nowrap; max-width: 100%; overflow: hidden; text-overflow: ellipsis; }
  ul.warnings { margin: 0; padding: 0; list-style: none; } ul.warnings li { padding: 4px 8px; border-radius: 4px; margin-bottom: 4px; }
  ul.warnings li.warning { background: var(--warn-bg); }
  .claims { margin: 0; font-size: 13px; }
  .claim { display: grid; grid-template-columns: minmax(0, 15em) minmax(0, 1fr); gap: 2px 12px; border-top: 1px solid var(--line); padding: 5px 2px; }
  .claim dt { font-weight: 600; overflow-wrap: anywhere; }
  .claim dd { margin: 0; overflow-wrap: anywhere; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
  .claim .from { display: block; font: 11.5px system-ui, sans-serif; color: var(--muted); font-weight: 400; }
  @media (max-width: 560px) { .claim { grid-template-columns: minmax(0, 1fr); } }
  table { border-collapse: collapse; font-size: 13px; } td { border-top: 1px solid var(--line); padding: 3px 12px 3px 0; overflow-wrap: anywhere; }
  .hint { color: var(--muted); font-size: 13px; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header class="top">
  <div class="brand"><img src="/favicon.svg" alt="" width="24" height="24"><h1>tokenrules · rules playground</h1></div>
  <nav aria-label="Demo pages"><a href="/">Login page</a></nav>
</header>
<main>
  <section class="card" aria-labelledby="input-title">
    <h2 id="input-title">Rules</h2>
    <p class="hint">They run in order, in the real sandbox: 1 s budget, 32 MB heap, no require, no network. The page's address keeps everything you type: copy it to share the playground as it is.</p>
    <div id="rules"></div>
    <button id="add-rule" class="secondary" type="button">Add a rule</button>
    <p class="label" id="user-label">user <span class="hint">(JSON)</span></p>
    <div id="user" class="editor"></div>
    <p class="label" id="context-label">context <span class="hint">(JSON)</span></p>
    <div id="context" class="editor"></div>
    <p class="label" id="configuration-label">configuration <span class="hint">(JSON: strings only)</span></p>
    <div id="configuration" class="editor"></div>
    <div class="actions">
      <button id="run" type="button">Run</button>
      <button id="share" class="secondary" type="button">Copy link</button>
      <button id="reset" class="secondary" type="button">Back to the sample</button>
      <span id="share-status" class="hint" role="status"></span>
    </div>
  </section>
  <section id="outcome" class="card" aria-labelledby="outcome-title">
    <h2 id="outcome-title" tabindex="-1">Outcome</h2>
    <p id="idle" class="hint">Press Run to run the rules against the user and context.</p>
    <div id="status" class="status" role="status" hidden></div>
    <p id="timing" class="hint"></p>
    <div id="success" hidden>
      <h3>Access token · decoded claims</h3><dl id="access-claims" class="claims"></dl>
      <h3 id="scopes-title">Scopes</h3><ul id="scopes" class="chips" aria-labelledby="scopes-title"></ul><p id="scopes-note" class="hint" hidden></p>
      <h3>ID token · decoded claims</h3><dl id="id-claims" class="claims"></dl>
      <p class="hint">At issuance the token server also sets iss, iat, exp and jti (and, in the ID token, the profile claims the granted scopes allow).</p>
      <div id="mfa-box" hidden><h3>Multifactor</h3><pre id="mfa"></pre></div>
    </div>
    <div id="failure" hidden>
      <h3>Engine error</h3><pre id="error-detail"></pre>
      <div class="actions" id="goto-box" hidden><button id="goto-line" class="secondary" type="button"></button></div>
      <div id="stack-box" hidden><h3>Stack in the rule</h3><pre id="stack"></pre></div>
      <h3>OAuth answer (<code style="text-transform:none">toOAuthError()</code>)</h3><pre id="oauth"></pre>
    </div>
    <div id="details" hidden>
      <h3>Warnings</h3><ul id="warnings" class="warnings"></ul>
      <h3>Logs</h3><pre id="logs"></pre>
      <h3>Per-rule timings</h3><table id="timings"></table>
    </div>
  </section>
</main>
<script src="__EDITOR_SCRIPT__"></script>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const SAMPLE = ${JSON.stringify(SAMPLE_STATE).replace(/</g, '\\u003c')};

/** CodeMirror when its bundle loaded; a plain text area otherwise (the page still works). */
function editor(parent, text, label, labelledBy) {
  if (window.playgroundEditor) return window.playgroundEditor.create(parent, text, label, saveSoon);
  const area = document.createElement("textarea");
  area.spellcheck = false;
  area.value = text;
  if (labelledBy) area.setAttribute("aria-labelledby", labelledBy); else area.setAttribute("aria-label", label);
  area.addEventListener("input", saveSoon);
  parent.append(area);
  return { get value() { return area.value; }, set value(next) { area.value = next; }, goToLine() { area.focus(); } };
}

const rules = [];
function addRule(name, script) {
  const box = document.createElement("div");
  box.className = "rule-box";
  const head = document.createElement("div");
  head.className = "rule-head";
  // A text area that grows with the name (a long name wraps instead of hiding its end); Enter does not add lines.
  const nameInput = document.createElement("textarea");
  nameInput.className = "rule-name";
  nameInput.rows = 1;
  nameInput.spellcheck = false;
  nameInput.value = name;
  nameInput.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); run(); } });
  nameInput.setAttribute("aria-label", "Rule name");
  nameInput.addEventListener("input", saveSoon);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary remove";
  remove.textContent = "Remove";
  const holder = document.createElement("div");
  holder.className = "editor rule";
  box.append(head, holder);
  head.append(nameInput, remove);
  $("rules").append(box);
  const entry = { box, nameInput, editor: editor(holder, script, "Script of rule " + name) };
  remove.setAttribute("aria-label", "Remove rule " + name);
  remove.addEventListener("click", () => {
    rules.splice(rules.indexOf(entry), 1);
    box.remove();
    saveSoon();
    $("add-rule").focus();
  });
  rules.push(entry);
  return entry;
}

const fields = {
  user: editor($("user"), "", "user (JSON)"),
  context: editor($("context"), "", "context (JSON)"),
  configuration: editor($("configuration"), "", "configuration (JSON)"),
};

function currentState() {
  return {
    rules: rules.map((rule) => ({ name: rule.nameInput.value, script: rule.editor.value })),
    user: fields.user.value, context: fields.context.value, configuration: fields.configuration.value,
  };
}

function load(state) {
  for (const rule of rules.splice(0)) rule.box.remove();
  for (const rule of state.rules) addRule(String(rule.name), String(rule.script));
  for (const name of ["user", "context", "configuration"]) fields[name].value = String(state[name]);
}

// The fragment: #state=<base64url of the deflate-raw'd JSON>. Nothing of it goes to the server.
const base64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
const unbase64url = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
async function encodeState(state) {
  const stream = new Blob([JSON.stringify(state)]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return base64url(new Uint8Array(await new Response(stream).arrayBuffer()));
}
async function decodeState(text) {
  const stream = new Blob([unbase64url(text)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  const state = JSON.parse(await new Response(stream).text());
  const ok = state && Array.isArray(state.rules) && state.rules.every((r) => r && typeof r.name === "string" && typeof r.script === "string") &&
    ["user", "context", "configuration"].every((name) => typeof state[name] === "string");
  if (!ok) throw new Error("it does not hold rules, user, context and configuration");
  return state;
}

let saveTimer = 0;
let loading = true;
function saveSoon() {
  if (loading) return;
  clearTimeout(saveTimer);
  saveTimer = setTimeout(save, 300);
}
let written = "";
async function save() {
  clearTimeout(saveTimer);
  written = "#state=" + (await encodeState(currentState()));
  history.replaceState(null, "", written);
}

function show(kind, text) {
  $("idle").hidden = true;
  $("status").hidden = false;
  $("status").className = "status " + kind;
  $("status").textContent = text;
}

function claimsList(list, rows) {
  list.replaceChildren();
  for (const [name, value, from] of rows) {
    const row = document.createElement("div");
    row.className = "claim";
    const term = document.createElement("dt");
    term.textContent = name;
    const source = document.createElement("span");
    source.className = "from";
    source.textContent = from;
    term.append(source);
    const detail = document.createElement("dd");
    detail.textContent = typeof value === "string" ? value : JSON.stringify(value);
    row.append(term, detail);
    list.append(row);
  }
}

function fillDetails(logs, warnings, ran) {
  $("details").hidden = false;
  $("warnings").replaceChildren(...(warnings.length ? warnings : [{ code: "", message: "none" }]).map((w) => {
    const li = document.createElement("li");
    if (w.code) li.className = "warning";
    li.textContent = w.code ? w.code + ": " + w.message : w.message;
    return li;
  }));
  $("logs").textContent = logs.length ? logs.map((l) => "[" + l.rule + "] " + l.level + ": " + l.message).join("\\n") : "(none)";
  $("timings").replaceChildren();
  for (const r of ran) {
    const row = $("timings").insertRow();
    row.insertCell().textContent = r.name;
    row.insertCell().textContent = r.durationMs + " ms";
  }
  if (!ran.length) $("timings").insertRow().insertCell().textContent = "(no rule finished)";
}

function parseField(name) {
  try { return JSON.parse(fields[name].value); }
  catch (error) { throw new Error(name + " is not valid JSON: " + error.message); }
}

/** The decoded payloads the token server would sign: what it sets from the input, then the rules' claims. */
function previews(input, result) {
  const request = (input.context.request && input.context.request.body) || {};
  const scopes = result.accessToken.scope || String(request.scope || "").split(" ").filter(Boolean);
  const fromServer = "set by the token server";
  const access = [["sub", input.user.user_id, fromServer]];
  if (request.audience) access.push(["aud", request.audience, fromServer]);
  access.push(["azp", input.context.clientID, fromServer], ["scope", scopes.join(" "), result.accessToken.scope ? "set by the rules" : "as requested"]);
  const id = [["sub", input.user.user_id, fromServer], ["aud", input.context.clientID, fromServer]];
  for (const [name, value] of Object.entries(result.accessToken.claims)) access.push([name, value, "added by the rules"]);
  for (const [name, value] of Object.entries(result.idToken.claims)) id.push([name, value, "added by the rules"]);
  return { access, id };
}

let lastError = null;
async function run() {
  $("success").hidden = true; $("failure").hidden = true; $("details").hidden = true; $("timing").textContent = "";
  lastError = null;
  let body;
  try {
    body = { rules: currentState().rules, user: parseField("user"), context: parseField("context"), configuration: parseField("configuration") };
  } catch (error) { return show("bad", error.message); }
  void save();
  $("run").disabled = true;
  show("ok", "Running…");
  try {
    const response = await fetch("/playground/run", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const answer = await response.json();
    if (!response.ok) return show("bad", "HTTP " + response.status + " " + answer.error + ": " + answer.error_description);
    $("timing").textContent = "Took " + answer.totalMs + " ms (engine start included).";
    if (answer.ok) {
      const r = answer.result;
      show("ok", "Token issued" + (r.multifactor ? ", then MFA required (mfa_required)" : ""));
      $("success").hidden = false;
      const shown = previews(body, r);
      claimsList($("access-claims"), shown.access);
      claimsList($("id-claims"), shown.id);
      $("scopes").replaceChildren(...(r.accessToken.scope || []).map((s) => { const c = document.createElement("li"); c.className = "chip"; c.textContent = s; return c; }));
      $("scopes-note").hidden = Boolean(r.accessToken.scope);
      $("scopes-note").textContent = "Not set by the rules: the token endpoint's own scopes apply.";
      $("mfa-box").hidden = !r.multifactor;
      $("mfa").textContent = JSON.stringify(r.multifactor, null, 2);
      fillDetails(r.logs, r.warnings, r.rules);
    } else {
      const e = answer.error;
      lastError = e;
      show("bad", e.code + (e.rule ? " in rule '" + e.rule + "'" : "") + (e.line ? ", line " + e.line : "") + " → HTTP " + e.oauth.status + " " + e.oauth.body.error);
      $("failure").hidden = false;
      $("error-detail").textContent = e.name + ": " + e.message + (e.issues ? "\\n" + JSON.stringify(e.issues, null, 2) : "");
      const target = e.rule ? rules.find((rule) => rule.nameInput.value === e.rule) : undefined;
      $("goto-box").hidden = !target;
      $("goto-line").textContent = "Show " + (e.line ? "line " + e.line + " of " : "") + "rule '" + e.rule + "'";
      $("stack-box").hidden = !e.guestStack;
      $("stack").textContent = e.guestStack || "";
      $("oauth").textContent = "HTTP " + e.oauth.status + "\\n" + JSON.stringify(e.oauth.body, null, 2);
      fillDetails(e.logs, e.warnings, []);
    }
  } catch (error) {
    show("bad", "The server could not be reached (" + error.message + ").");
  } finally {
    $("run").disabled = false;
  }
}
$("run").addEventListener("click", run);
$("goto-line").addEventListener("click", () => {
  const target = lastError && rules.find((rule) => rule.nameInput.value === lastError.rule);
  if (target) target.editor.goToLine(lastError.line || 1);
});
$("add-rule").addEventListener("click", () => {
  const entry = addRule("rule-" + (rules.length + 1), "function (user, context, callback) {\\n  callback(null, user, context);\\n}");
  saveSoon();
  entry.nameInput.focus();
});
$("share").addEventListener("click", async () => {
  await save();
  try { await navigator.clipboard.writeText(location.href); $("share-status").textContent = "Link copied."; }
  catch { $("share-status").textContent = "Copy the page's address to share it."; }
});
$("reset").addEventListener("click", () => {
  loading = true;
  load(SAMPLE);
  loading = false;
  written = "";
  history.replaceState(null, "", location.pathname);
  $("share-status").textContent = "Sample loaded.";
});

/** The state in the address (the sample when there is none), loaded into the editors. */
async function loadFromAddress() {
  const match = /^#state=([\\w-]+)$/.exec(location.hash);
  let state = SAMPLE;
  if (match) {
    try { state = await decodeState(match[1]); }
    catch (error) { show("bad", "The link's playground state could not be read (" + error.message + "): the sample is loaded instead."); }
  }
  loading = true;
  load(state);
  loading = false;
  written = location.hash;
}
// A link pasted into this tab changes only the fragment: load it too.
window.addEventListener("hashchange", () => { if (location.hash !== written) void loadFromAddress(); });
void loadFromAddress();
</script>
</body>
</html>
`
