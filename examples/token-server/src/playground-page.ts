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
const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * The rules playground page (served at `/playground`). Plain HTML, CSS and JavaScript; it posts to
 * `/playground/run`, which runs the rules in the engine with demo-safe limits.
 */
export const PLAYGROUND_PAGE_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rules playground · tokenrules demo</title>
<style>
  :root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --accent: #3454d1; --bad: #b3261e; --bad-bg: #fdecea; --ok: #1e6b34; --ok-bg: #eaf6ec; --warn-bg: #fff6dc; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f4f6fa; }
  header { background: #1d2330; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; }
  header a { color: #c9d3ff; } h1 { font-size: 18px; margin: 0; } h2 { font-size: 15px; margin: 0 0 8px; } h3 { font-size: 13px; margin: 14px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  main { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 20px; padding: 20px 24px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
  textarea, input { width: 100%; font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
  textarea.rule { min-height: 150px; } textarea.json { min-height: 120px; }
  .rule-box { border: 1px solid var(--line); border-radius: 6px; padding: 8px; margin-bottom: 10px; }
  .rule-head { display: flex; gap: 8px; margin-bottom: 6px; } .rule-head input { flex: 1; }
  .row { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
  button { padding: 7px 14px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  button.secondary { background: #e8ecfb; color: #243a9c; } button:disabled { opacity: .6; cursor: progress; }
  .actions { display: flex; gap: 8px; margin-top: 12px; align-items: center; }
  pre { background: #f7f8fb; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; margin: 0; font-size: 12.5px; }
  .status { border-radius: 6px; padding: 10px 12px; font-weight: 600; }
  .status.ok { background: var(--ok-bg); color: var(--ok); } .status.bad { background: var(--bad-bg); color: var(--bad); }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; } .chip { background: #e8ecfb; color: #243a9c; border-radius: 999px; padding: 2px 10px; }
  ul { margin: 0; padding-left: 18px; } li.warning { background: var(--warn-bg); list-style: none; margin-left: -18px; padding: 4px 8px; border-radius: 4px; margin-bottom: 4px; }
  table { border-collapse: collapse; font-size: 13px; } td { border-top: 1px solid var(--line); padding: 3px 10px 3px 0; }
  .hint { color: var(--muted); font-size: 12.5px; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header><h1>tokenrules · rules playground</h1><a href="/">Login page</a></header>
<main>
  <section>
    <h2>Rules <span class="hint">(run in order, in the real sandbox: 1 s budget, 32 MB heap, no require, no network)</span></h2>
    <div id="rules"></div>
    <button id="add-rule" class="secondary" type="button">Add a rule</button>
    <div class="row">
      <div><h3>user</h3><textarea id="user" class="json" spellcheck="false">${escapeText(pretty(SAMPLE.user))}</textarea></div>
      <div><h3>context</h3><textarea id="context" class="json" spellcheck="false">${escapeText(pretty(SAMPLE.context))}</textarea></div>
    </div>
    <h3>configuration</h3><textarea id="configuration" class="json" spellcheck="false" style="min-height:60px">${escapeText(pretty(SAMPLE.configuration))}</textarea>
    <div class="actions"><button id="run" type="button">Run</button><span id="timing" class="hint"></span></div>
  </section>
  <section id="outcome" aria-live="polite">
    <h2>Outcome</h2>
    <p id="idle" class="hint">Press Run to run the rules against the user and context.</p>
    <div id="status" class="status" hidden></div>
    <div id="success" hidden>
      <h3>Access token claims</h3><pre id="access-claims"></pre>
      <h3>Scopes</h3><div id="scopes" class="chips"></div>
      <h3>ID token claims</h3><pre id="id-claims"></pre>
      <div id="mfa-box" hidden><h3>Multifactor</h3><pre id="mfa"></pre></div>
    </div>
    <div id="failure" hidden>
      <h3>OAuth answer (<code style="text-transform:none">toOAuthError()</code>)</h3><pre id="oauth"></pre>
      <h3>Engine error</h3><pre id="error-detail"></pre>
    </div>
    <div id="details" hidden>
      <h3>Warnings</h3><ul id="warnings"></ul>
      <h3>Logs</h3><pre id="logs"></pre>
      <h3>Per-rule timings</h3><table id="timings"></table>
    </div>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const SAMPLE_RULES = ${JSON.stringify(SAMPLE.rules).replace(/</g, '\\u003c')};

function addRule(name, script) {
  const box = document.createElement("div");
  box.className = "rule-box";
  const head = document.createElement("div");
  head.className = "rule-head";
  const nameInput = document.createElement("input");
  nameInput.className = "rule-name";
  nameInput.value = name;
  nameInput.setAttribute("aria-label", "Rule name");
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary";
  remove.textContent = "Remove";
  remove.addEventListener("click", () => box.remove());
  head.append(nameInput, remove);
  const text = document.createElement("textarea");
  text.className = "rule";
  text.spellcheck = false;
  text.value = script;
  text.setAttribute("aria-label", "Rule script");
  box.append(head, text);
  $("rules").append(box);
}

for (const rule of SAMPLE_RULES) addRule(rule.name, rule.script);
$("add-rule").addEventListener("click", () => addRule("rule-" + ($("rules").children.length + 1), "function (user, context, callback) {\\n  callback(null, user, context);\\n}"));

function parseField(id) {
  try { return JSON.parse($(id).value); }
  catch (error) { throw new Error(id + " is not valid JSON: " + error.message); }
}

function show(kind, text) {
  $("idle").hidden = true;
  $("status").hidden = false;
  $("status").className = "status " + kind;
  $("status").textContent = text;
}

function fillDetails(logs, warnings, rules) {
  $("details").hidden = false;
  $("warnings").replaceChildren(...(warnings.length ? warnings : [{ code: "", message: "none" }]).map((w) => {
    const li = document.createElement("li");
    if (w.code) li.className = "warning";
    li.textContent = w.code ? w.code + ": " + w.message : w.message;
    return li;
  }));
  $("logs").textContent = logs.length ? logs.map((l) => "[" + l.rule + "] " + l.level + ": " + l.message).join("\\n") : "(none)";
  $("timings").replaceChildren();
  for (const r of rules) {
    const row = $("timings").insertRow();
    row.insertCell().textContent = r.name;
    row.insertCell().textContent = r.durationMs + " ms";
  }
  if (!rules.length) $("timings").insertRow().insertCell().textContent = "(no rule finished)";
}

async function run() {
  $("success").hidden = true; $("failure").hidden = true; $("details").hidden = true; $("timing").textContent = "";
  let body;
  try {
    body = {
      rules: [...document.querySelectorAll(".rule-box")].map((box) => ({ name: box.querySelector(".rule-name").value, script: box.querySelector(".rule").value })),
      user: parseField("user"), context: parseField("context"), configuration: parseField("configuration"),
    };
  } catch (error) { return show("bad", error.message); }
  $("run").disabled = true;
  try {
    const response = await fetch("/playground/run", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const answer = await response.json();
    if (!response.ok) return show("bad", "HTTP " + response.status + ": " + answer.error_description);
    $("timing").textContent = "took " + answer.totalMs + " ms (engine start included)";
    if (answer.ok) {
      const r = answer.result;
      show("ok", "Token issued" + (r.multifactor ? ", then MFA required (mfa_required)" : ""));
      $("success").hidden = false;
      $("access-claims").textContent = JSON.stringify(r.accessToken.claims, null, 2);
      $("id-claims").textContent = JSON.stringify(r.idToken.claims, null, 2);
      $("scopes").replaceChildren(...(r.accessToken.scope ? r.accessToken.scope : []).map((s) => { const c = document.createElement("span"); c.className = "chip"; c.textContent = s; return c; }));
      if (!r.accessToken.scope) $("scopes").textContent = "(not set by the rules: the token endpoint's own scopes apply)";
      $("mfa-box").hidden = !r.multifactor;
      $("mfa").textContent = JSON.stringify(r.multifactor, null, 2);
      fillDetails(r.logs, r.warnings, r.rules);
    } else {
      const e = answer.error;
      show("bad", e.code + (e.rule ? " in rule '" + e.rule + "'" : "") + " → HTTP " + e.oauth.status + " " + e.oauth.body.error);
      $("failure").hidden = false;
      $("oauth").textContent = "HTTP " + e.oauth.status + "\\n" + JSON.stringify(e.oauth.body, null, 2);
      $("error-detail").textContent = e.name + ": " + e.message + (e.issues ? "\\n" + JSON.stringify(e.issues, null, 2) : "");
      fillDetails(e.logs, e.warnings, []);
    }
  } catch (error) {
    show("bad", "The server could not be reached (" + error.message + ").");
  } finally {
    $("run").disabled = false;
  }
}
$("run").addEventListener("click", run);
</script>
</body>
</html>
`
