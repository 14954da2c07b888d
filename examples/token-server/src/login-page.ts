/**
 * The login page of the demo's highly trusted first-party application (served at `/`).
 * Plain HTML, CSS and JavaScript: no build step, nothing loaded from the network. The page posts
 * the credentials to its own backend (`/demo/login`, `/demo/mfa`), never to the token endpoint.
 * `__REALM_OPTIONS__` is replaced by the realms' `<option>`s.
 */
export const LOGIN_PAGE_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · tokenrules demo</title>
<style>
  :root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --accent: #3454d1; --bad: #b3261e; --bad-bg: #fdecea; --ok-bg: #eaf6ec; --ok: #1e6b34; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f4f6fa; }
  header { background: #1d2330; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; }
  header a { color: #c9d3ff; }
  main { max-width: 980px; margin: 24px auto; padding: 0 16px; display: grid; grid-template-columns: 340px 1fr; gap: 24px; align-items: start; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 20px; }
  h1 { font-size: 18px; margin: 0; } h2 { font-size: 16px; margin: 0 0 12px; } h3 { font-size: 14px; margin: 16px 0 6px; }
  label { display: block; font-weight: 600; margin: 12px 0 4px; }
  input, select { width: 100%; padding: 8px 10px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
  button { margin-top: 16px; padding: 9px 16px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  button:disabled { opacity: .6; cursor: progress; }
  .hint { color: var(--muted); font-size: 13px; margin-top: 12px; }
  .hint code { font-size: 12px; }
  .alert { border-radius: 6px; padding: 10px 12px; margin-top: 16px; background: var(--bad-bg); color: var(--bad); }
  .alert strong { display: block; }
  .alert code { color: var(--fg); font-size: 12px; }
  .success { background: var(--ok-bg); color: var(--ok); border-radius: 6px; padding: 10px 12px; }
  pre { background: #f7f8fb; border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow: auto; font-size: 12.5px; margin: 0; }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; }
  .chip { background: #e8ecfb; color: #243a9c; border-radius: 999px; padding: 2px 10px; font-size: 13px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  td { border-top: 1px solid var(--line); padding: 4px 6px; vertical-align: top; word-break: break-all; }
  td:first-child { font-weight: 600; white-space: nowrap; word-break: normal; width: 1%; }
  .secret { font-family: ui-monospace, monospace; background: #fff8e1; padding: 2px 6px; border-radius: 4px; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header><h1>tokenrules demo · Example Corp sign-in</h1>__PLAYGROUND_LINK__</header>
<main>
  <section>
    <form id="login" novalidate>
      <h2>Sign in</h2>
      <label for="realm">Realm</label>
      <select id="realm" name="realm">__REALM_OPTIONS__</select>
      <label for="username">Email</label>
      <input id="username" name="username" type="email" autocomplete="username" required>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button id="submit" type="submit">Sign in</button>
    </form>
    <form id="mfa" novalidate hidden>
      <h2>Two-step verification</h2>
      <div id="enrollment" hidden>
        <p>Add this account to your authenticator app with the secret below (shown once), then enter the code it shows.</p>
        <p>Secret: <span id="mfa-secret" class="secret"></span></p>
        <p class="hint">URI: <code id="mfa-uri"></code></p>
        <p class="hint">Recovery codes (keep them safe): <code id="mfa-recovery"></code></p>
      </div>
      <p id="mfa-prompt">Enter the 6-digit code from your authenticator app.</p>
      <label for="otp">One-time code</label>
      <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}" required>
      <button id="verify" type="submit">Verify</button>
    </form>
    <div id="error" class="alert" role="alert" hidden><strong id="error-title"></strong><span id="error-text"></span><br><code id="error-raw"></code></div>
    <p class="hint">Demo users: <code>alice@example.com</code> / <code>correct horse battery staple</code> (Employees),
      <code>bob@example.com</code> / <code>hunter2hunter2</code> (Customers),
      <code>carol@example.com</code> / <code>open sesame seed bagel</code> (Employees, with MFA).</p>
  </section>
  <section id="result" aria-live="polite">
    <div id="empty"><h2>Tokens</h2><p class="hint">Sign in to see the tokens the rules shaped, decoded.</p></div>
    <div id="tokens" hidden>
      <p class="success" id="welcome"></p>
      <h3>Granted scopes</h3>
      <div id="scopes" class="chips"></div>
      <h3>Access token claims</h3>
      <table id="access-claims"></table>
      <h3>ID token claims</h3>
      <table id="id-claims"></table>
      <p class="hint" id="token-meta"></p>
      <button id="call-api" type="button">Call GET /api/messages</button>
      <h3>API answer</h3>
      <pre id="api-result">(not called yet)</pre>
    </div>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let mfaToken = null;
let accessToken = null;

const TITLES = {
  invalid_grant: "Wrong email or password.",
  too_many_attempts: "Too many failed attempts.",
  unauthorized: "You are not allowed to sign in.",
  access_denied: "Access denied.",
  expired_token: "The sign-in took too long.",
  invalid_request: "Something is missing.",
  server_error: "The server could not sign you in.",
};

function showError(answer) {
  const title = TITLES[answer.error] || "Sign-in failed.";
  let text = answer.error_description || "";
  if (answer.error === "too_many_attempts") {
    text = "This account is blocked from this address after repeated failures." +
      (answer.retry_after ? " Try again in " + Math.ceil(answer.retry_after / 60) + " minute(s)." : " Try again later.");
  } else if (answer.error === "expired_token") {
    text = "Sign in again to get a new code.";
  } else if (answer.error === "invalid_grant" && mfaToken) {
    text = "That code is not valid. Check your authenticator app and try again.";
  }
  $("error-title").textContent = title;
  $("error-text").textContent = " " + text;
  $("error-raw").textContent = (answer.status ? "HTTP " + answer.status + " " : "") + JSON.stringify({ error: answer.error, error_description: answer.error_description });
  $("error").hidden = false;
}

function fillClaims(table, claims) {
  table.replaceChildren();
  if (!claims) { const row = table.insertRow(); row.insertCell().textContent = "(no ID token: openid not granted)"; return; }
  for (const [name, value] of Object.entries(claims)) {
    const row = table.insertRow();
    row.insertCell().textContent = name;
    let shown = typeof value === "string" ? value : JSON.stringify(value);
    if ((name === "iat" || name === "exp" || name === "auth_time") && typeof value === "number") shown += "  (" + new Date(value * 1000).toISOString() + ")";
    row.insertCell().textContent = shown;
  }
}

function showTokens(answer) {
  accessToken = answer.access_token;
  mfaToken = null;
  $("mfa").hidden = true;
  $("login").hidden = false;
  $("empty").hidden = true;
  $("tokens").hidden = false;
  const who = (answer.id_token_claims && (answer.id_token_claims.name || answer.id_token_claims.email)) || answer.access_token_claims.sub;
  $("welcome").textContent = "Signed in as " + who + ".";
  $("scopes").replaceChildren(...answer.scopes.map((scope) => { const chip = document.createElement("span"); chip.className = "chip"; chip.textContent = scope; return chip; }));
  fillClaims($("access-claims"), answer.access_token_claims);
  fillClaims($("id-claims"), answer.id_token_claims);
  $("token-meta").textContent = "Access token expires in " + answer.expires_in + " s; refresh token " + (answer.has_refresh_token ? "issued (kept by the backend in a real app)" : "not issued") + ".";
  $("api-result").textContent = "(not called yet)";
}

function showMfa(answer) {
  mfaToken = answer.mfa_token;
  $("login").hidden = true;
  $("mfa").hidden = false;
  $("enrollment").hidden = !answer.enrollment;
  if (answer.enrollment) {
    $("mfa-secret").textContent = answer.enrollment.secret;
    $("mfa-uri").textContent = answer.enrollment.barcode_uri;
    $("mfa-recovery").textContent = (answer.enrollment.recovery_codes || []).join(" ");
  }
  $("otp").value = "";
  $("otp").focus();
}

async function post(path, body, button) {
  $("error").hidden = true;
  button.disabled = true;
  try {
    const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const answer = await response.json();
    if (!response.ok) return showError({ status: response.status, ...answer });
    if (answer.outcome === "tokens") return showTokens(answer);
    if (answer.outcome === "mfa") return showMfa(answer);
    if (answer.error === "expired_token") { mfaToken = null; $("mfa").hidden = true; $("login").hidden = false; }
    showError(answer);
  } catch (error) {
    showError({ error: "server_error", error_description: "The server could not be reached (" + error.message + ")." });
  } finally {
    button.disabled = false;
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  post("/demo/login", { realm: $("realm").value, username: $("username").value.trim(), password: $("password").value }, $("submit"));
});

$("mfa").addEventListener("submit", (event) => {
  event.preventDefault();
  post("/demo/mfa", { mfa_token: mfaToken, otp: $("otp").value.trim() }, $("verify"));
});

$("call-api").addEventListener("click", async () => {
  const response = await fetch("/api/messages", { headers: { authorization: "Bearer " + accessToken } });
  const text = await response.text();
  let shown = text;
  try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
  $("api-result").textContent = "HTTP " + response.status + "\\n" + shown;
});
</script>
</body>
</html>
`
