/**
 * The login page of the demo's highly trusted first-party application (served at `/`).
 * Plain HTML, CSS and JavaScript: no build step, nothing loaded from the network. The page posts
 * to its own backend (`/demo/login`, `/demo/mfa`, `/demo/signup`, `/demo/change-password`), never
 * to the token endpoint. `__REALM_OPTIONS__` and `__SIGNUP_REALM_OPTIONS__` are replaced by the
 * realms' `<option>`s, `__SIGNUP_HIDDEN__` hides "Create an account" when no realm accepts sign-ups.
 *
 * One step shows at a time (sign in, two-step verification, create an account, reset the
 * password), each with a way back; every new attempt first clears what the previous one showed.
 */
export const LOGIN_PAGE_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · tokenrules demo</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  :root { --fg: #1d2330; --muted: #525b6b; --line: #d9dee7; --accent: #3454d1; --accent-dark: #243a9c; --bad: #a3221b; --bad-bg: #fdecea; --ok-bg: #eaf6ec; --ok: #1b5e2e; }
  * { box-sizing: border-box; }
  html { -webkit-text-size-adjust: 100%; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f4f6fa; }
  .top { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; flex-wrap: wrap; gap: 4px 20px; align-items: center; justify-content: space-between; }
  .brand { display: flex; align-items: center; gap: 10px; min-width: 0; }
  .brand img { flex: none; }
  .top h1 { font-size: 17px; margin: 0; overflow-wrap: anywhere; }
  .top a { color: #c9d3ff; }
  main { max-width: 1040px; margin: 20px auto; padding: 0 16px; display: grid; grid-template-columns: minmax(0, 1fr); gap: 20px; align-items: start; }
  @media (min-width: 820px) { main { grid-template-columns: minmax(0, 430px) minmax(0, 1fr); } }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 20px; min-width: 0; overflow-wrap: anywhere; }
  @media (max-width: 480px) { main { margin: 12px auto; padding: 0 10px; gap: 12px; } .card { padding: 16px 14px; } .top { padding: 10px 12px; } }
  h2 { font-size: 17px; margin: 0 0 12px; } h3 { font-size: 14px; margin: 18px 0 6px; }
  h2:focus { outline: none; }
  p { margin: 8px 0; }
  label { display: block; font-weight: 600; margin: 12px 0 4px; }
  input, select { width: 100%; padding: 9px 10px; border: 1px solid #8a93a3; border-radius: 6px; font: inherit; background: #fff; color: inherit; }
  :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  button { padding: 9px 16px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  button.secondary { background: #e8ecfb; color: var(--accent-dark); }
  button.link { background: none; color: var(--accent-dark); padding: 4px 0; font-weight: 500; text-decoration: underline; }
  button:disabled { opacity: .6; cursor: progress; }
  .actions { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 16px; align-items: center; }
  .more { display: flex; flex-wrap: wrap; gap: 4px 18px; margin-top: 12px; }
  .hint { color: var(--muted); font-size: 13.5px; }
  code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
  .alert { border-radius: 6px; padding: 10px 12px; margin-top: 16px; background: var(--bad-bg); color: var(--bad); }
  .alert strong { display: block; }
  .alert p { margin: 4px 0; white-space: pre-line; }
  .alert code { color: var(--fg); font-size: 12px; display: block; margin-top: 6px; }
  .notice { border-radius: 6px; padding: 10px 12px; margin-top: 16px; background: var(--ok-bg); color: var(--ok); }
  .success { background: var(--ok-bg); color: var(--ok); border-radius: 6px; padding: 10px 12px; margin-top: 0; }
  pre { background: #f7f8fb; border: 1px solid var(--line); border-radius: 6px; padding: 10px; margin: 0; font-size: 12.5px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; list-style: none; }
  .chip { background: #e8ecfb; color: var(--accent-dark); border-radius: 999px; padding: 2px 10px; font-size: 13px; white-space: nowrap; max-width: 100%; overflow: hidden; text-overflow: ellipsis; }
  .claims { margin: 0; font-size: 13.5px; }
  .claim { display: grid; grid-template-columns: minmax(0, 14em) minmax(0, 1fr); gap: 2px 12px; border-top: 1px solid var(--line); padding: 5px 2px; }
  .claim dt { font-weight: 600; overflow-wrap: anywhere; }
  .claim dd { margin: 0; overflow-wrap: anywhere; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
  .claim dd .when { color: var(--muted); font-family: system-ui, sans-serif; }
  @media (max-width: 560px) { .claim { grid-template-columns: minmax(0, 1fr); } }
  .enrol { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; margin: 12px 0; }
  .enrol img { width: 172px; height: 172px; flex: none; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
  .enrol .key { flex: 1 1 150px; min-width: 0; }
  .secret { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; background: #fff8e1; padding: 2px 6px; border-radius: 4px; overflow-wrap: anywhere; display: inline-block; max-width: 100%; letter-spacing: .04em; }
  details { margin: 8px 0; } summary { cursor: pointer; color: var(--accent-dark); }
  details code { display: block; overflow-wrap: anywhere; margin-top: 4px; }
  .codes { display: grid; grid-template-columns: repeat(auto-fill, minmax(16em, 1fr)); gap: 4px 12px; margin: 6px 0; padding: 8px 10px; list-style: none; background: #f7f8fb; border: 1px solid var(--line); border-radius: 6px; }
  .codes li { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; white-space: nowrap; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header class="top">
  <div class="brand"><img src="/favicon.svg" alt="" width="24" height="24"><h1>tokenrules demo · Example Corp sign-in</h1></div>
  <nav aria-label="Demo pages">__PLAYGROUND_LINK__</nav>
</header>
<main>
  <section class="card" aria-label="Account">
    <form id="login" novalidate>
      <h2 tabindex="-1">Sign in</h2>
      <label for="realm">Realm</label>
      <select id="realm" name="realm">__REALM_OPTIONS__</select>
      <label for="username">Email</label>
      <input id="username" name="username" type="email" autocomplete="username" required>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <div class="actions"><button id="submit" type="submit">Sign in</button></div>
      <div class="more">
        <button id="to-signup" class="link" type="button"__SIGNUP_HIDDEN__>Create an account</button>
        <button id="to-reset" class="link" type="button">Forgot your password?</button>
      </div>
    </form>

    <form id="mfa" novalidate hidden>
      <h2 tabindex="-1">Two-step verification</h2>
      <div id="enrollment" hidden>
        <p>Scan this QR code with your authenticator app, or enter the key beside it. It is shown only this once.</p>
        <div class="enrol">
          <img id="mfa-qr" alt="QR code that adds this account to an authenticator app">
          <div class="key">
            <p class="hint">Key to enter by hand:</p>
            <p><span id="mfa-secret" class="secret"></span></p>
            <button id="copy-secret" class="secondary" type="button">Copy key</button>
          </div>
        </div>
        <details><summary>Setup link (otpauth URI)</summary><code id="mfa-uri"></code></details>
        <h3 id="recovery-title">Recovery codes</h3>
        <p class="hint">Each code signs you in once if you lose your phone. Keep them somewhere safe: they are not shown again.</p>
        <ul id="mfa-recovery" class="codes" aria-labelledby="recovery-title"></ul>
        <div class="actions"><button id="copy-recovery" class="secondary" type="button">Copy recovery codes</button><span id="copy-status" class="hint" role="status"></span></div>
      </div>
      <p id="mfa-prompt">Enter the 6-digit code your authenticator app shows for this account.</p>
      <label for="otp">One-time code</label>
      <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}" required>
      <div class="actions">
        <button id="verify" type="submit">Verify</button>
        <button id="mfa-cancel" class="secondary" type="button">Cancel and start again</button>
      </div>
    </form>

    <form id="signup" novalidate hidden>
      <h2 tabindex="-1">Create an account</h2>
      <label for="signup-realm">Realm</label>
      <select id="signup-realm" name="realm">__SIGNUP_REALM_OPTIONS__</select>
      <label for="signup-email">Email</label>
      <input id="signup-email" name="email" type="email" autocomplete="email" required>
      <label for="signup-password">Password</label>
      <input id="signup-password" name="password" type="password" autocomplete="new-password" aria-describedby="signup-policy" required>
      <p id="signup-policy" class="hint">At least 8 characters, with three of: lower case, upper case, digits, special characters.</p>
      <div class="actions">
        <button id="signup-submit" type="submit">Create account</button>
        <button class="secondary back" type="button">Back to sign in</button>
      </div>
    </form>

    <form id="reset" novalidate hidden>
      <h2 tabindex="-1">Reset your password</h2>
      <p class="hint">Enter your email: if it belongs to an account, a link to choose a new password is sent to it.</p>
      <label for="reset-realm">Realm</label>
      <select id="reset-realm" name="realm">__REALM_OPTIONS__</select>
      <label for="reset-email">Email</label>
      <input id="reset-email" name="email" type="email" autocomplete="email" required>
      <div class="actions">
        <button id="reset-submit" type="submit">Send reset link</button>
        <button class="secondary back" type="button">Back to sign in</button>
      </div>
    </form>

    <div id="notice" class="notice" role="status" hidden></div>
    <div id="error" class="alert" role="alert" hidden><strong id="error-title"></strong><p id="error-text"></p><code id="error-raw"></code></div>
    <p class="hint">Demo users: <code>alice@example.com</code> / <code>correct horse battery staple</code> (Employees),
      <code>bob@example.com</code> / <code>hunter2hunter2</code> (Customers),
      <code>carol@example.com</code> / <code>open sesame seed bagel</code> (Employees, with MFA).</p>
  </section>

  <section id="result" class="card" aria-labelledby="result-title">
    <h2 id="result-title" tabindex="-1">Tokens</h2>
    <p id="empty" class="hint">Sign in to see the tokens the rules shaped, decoded.</p>
    <p id="pending" class="hint" role="status" hidden></p>
    <div id="tokens" hidden>
      <p class="success" id="welcome"></p>
      <h3 id="scopes-title">Granted scopes</h3>
      <ul id="scopes" class="chips" aria-labelledby="scopes-title"></ul>
      <h3>Access token claims</h3>
      <dl id="access-claims" class="claims"></dl>
      <h3>ID token claims</h3>
      <dl id="id-claims" class="claims"></dl>
      <p class="hint" id="token-meta"></p>
      <div class="actions">
        <button id="call-api" type="button">Call GET /api/messages</button>
        <button id="sign-out" class="secondary" type="button">Sign out</button>
      </div>
      <h3>API answer</h3>
      <pre id="api-result">(not called yet)</pre>
    </div>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const STEPS = ["login", "mfa", "signup", "reset"];
let mfaToken = null;
let accessToken = null;

/** Show one step of the card, its heading focused (screen readers hear where they are). */
function showStep(name, focus) {
  for (const step of STEPS) $(step).hidden = step !== name;
  if (focus) (focus === true ? $(name).querySelector("h2") : focus).focus();
}

function clearMessages() {
  $("error").hidden = true;
  $("notice").hidden = true;
}

function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = false;
}

/** Forget the tokens on screen: a new attempt never shows the previous user's result. */
function clearResult(pending) {
  accessToken = null;
  $("tokens").hidden = true;
  $("access-claims").replaceChildren();
  $("id-claims").replaceChildren();
  $("scopes").replaceChildren();
  $("api-result").textContent = "(not called yet)";
  $("pending").textContent = pending || "";
  $("pending").hidden = !pending;
  $("empty").hidden = Boolean(pending);
}

function clearEnrollment() {
  $("enrollment").hidden = true;
  $("mfa-secret").textContent = "";
  $("mfa-uri").textContent = "";
  $("mfa-qr").removeAttribute("src");
  $("mfa-recovery").replaceChildren();
  $("copy-status").textContent = "";
}

/** Back to the sign-in step, nothing of the abandoned attempt kept but the email. */
function startAgain() {
  mfaToken = null;
  clearEnrollment();
  $("otp").value = "";
  $("password").value = "";
  clearMessages();
  showStep("login", $("username").value ? $("password") : $("username"));
}

const minutes = (seconds) => Math.max(1, Math.ceil(seconds / 60)) + " minute" + (Math.ceil(seconds / 60) > 1 ? "s" : "");

/** What failed, in words, from the OAuth error code and the step it came from. */
function describe(answer) {
  const step = answer.step || "password";
  const code = answer.error;
  const description = typeof answer.error_description === "string" ? answer.error_description : "";
  const retry = answer.retry_after ? " Try again in " + minutes(answer.retry_after) + "." : " Try again later.";
  if (code === "too_many_attempts" || code === "rate_limited") {
    if (step === "signup") return ["Too many sign-ups from your address.", "Sign-ups from this address are paused." + retry];
    if (step === "change_password") return ["Too many reset requests.", "Reset requests for this email are paused." + retry];
    if (step === "mfa") return ["Too many wrong codes.", "This account's two-step verification is blocked for now." + retry];
    return ["Too many failed attempts.", "This account is blocked from this address after repeated failures." + retry];
  }
  if (step === "mfa") {
    if (code === "invalid_grant" && description === "Invalid mfa_token.") return ["This sign-in has ended.", "Its verification step was already used or is unknown. Sign in again."];
    if (code === "invalid_grant") return ["Wrong one-time code.", "That code is not valid. Check your authenticator app and try again: each code works once, for 30 seconds."];
    if (code === "expired_token") return ["The sign-in took too long.", "The verification step expired. Sign in again to get a new one."];
    if (code === "invalid_request") return ["Enter the code.", description];
  }
  if (step === "signup") {
    if (code === "invalid_password") return ["That password is too weak.", answer.policy ? "The realm's password policy:\\n" + answer.policy : description];
    if (code === "invalid_signup") return ["The account could not be created.", "The email may already have an account in this realm. Sign in, or reset its password."];
    if (code === "operation_not_supported") return ["This realm does not accept sign-ups.", description];
    if (code === "invalid_parameter" || code === "invalid_request") return ["Check the form.", description];
    return ["The account could not be created.", description];
  }
  if (step === "change_password") {
    if (code === "invalid_parameter" || code === "invalid_request") return ["Check the email.", description];
    return ["The reset link could not be requested.", description];
  }
  switch (code) {
    case "invalid_grant": return ["Wrong email or password.", "Check both, and that the realm is the one your account is in."];
    case "unauthorized": return description === "user is blocked" ? ["This account is blocked.", "An administrator blocked it. Contact your administrator."] : ["You are not allowed to sign in.", description];
    case "access_denied": return ["Access denied.", description];
    case "invalid_request": return ["Something is missing.", description];
    case "unauthorized_client": return ["This app may not sign you in this way.", description];
    case "invalid_scope": return ["The app asked for access it may not have.", description];
    case "server_error": return ["The server could not sign you in.", description];
    default: return ["Sign-in failed.", description];
  }
}

function showError(answer) {
  const [title, text] = describe(answer);
  $("error-title").textContent = title;
  $("error-text").textContent = text;
  $("error-raw").textContent = (answer.status ? "HTTP " + answer.status + " " : "") + JSON.stringify({ error: answer.error, error_description: answer.error_description });
  $("error").hidden = false;
}

function fillClaims(list, claims) {
  list.replaceChildren();
  const add = (name, value, when) => {
    const row = document.createElement("div");
    row.className = "claim";
    const term = document.createElement("dt");
    term.textContent = name;
    const detail = document.createElement("dd");
    detail.textContent = value;
    if (when) { const note = document.createElement("span"); note.className = "when"; note.textContent = " (" + when + ")"; detail.append(note); }
    row.append(term, detail);
    list.append(row);
  };
  if (!claims) return add("(none)", "no ID token: openid not granted");
  for (const [name, value] of Object.entries(claims)) {
    const time = (name === "iat" || name === "exp" || name === "auth_time") && typeof value === "number" ? new Date(value * 1000).toISOString() : "";
    add(name, typeof value === "string" ? value : JSON.stringify(value), time);
  }
}

function showTokens(answer) {
  mfaToken = null;
  clearEnrollment();
  $("otp").value = "";
  $("password").value = "";
  showStep("login");
  accessToken = answer.access_token;
  $("pending").hidden = true;
  $("empty").hidden = true;
  $("tokens").hidden = false;
  const who = (answer.id_token_claims && (answer.id_token_claims.name || answer.id_token_claims.email)) || answer.access_token_claims.sub;
  $("welcome").textContent = "Signed in as " + who + ".";
  $("scopes").replaceChildren(...answer.scopes.map((scope) => { const chip = document.createElement("li"); chip.className = "chip"; chip.textContent = scope; return chip; }));
  fillClaims($("access-claims"), answer.access_token_claims);
  fillClaims($("id-claims"), answer.id_token_claims);
  $("token-meta").textContent = "Access token expires in " + answer.expires_in + " s; refresh token " + (answer.has_refresh_token ? "issued (kept by the backend in a real app)" : "not issued") + ".";
  $("result").scrollIntoView({ block: "start" });
  $("result-title").focus({ preventScroll: true });
}

function showMfa(answer) {
  mfaToken = answer.mfa_token;
  $("pending").hidden = true;
  $("empty").hidden = false;
  clearEnrollment();
  const enrollment = answer.enrollment;
  if (enrollment) {
    $("enrollment").hidden = false;
    $("mfa-secret").textContent = enrollment.secret;
    $("mfa-uri").textContent = enrollment.barcode_uri;
    if (enrollment.qr_code) $("mfa-qr").src = enrollment.qr_code;
    $("mfa-recovery").replaceChildren(...(enrollment.recovery_codes || []).map((code) => { const item = document.createElement("li"); item.textContent = code; return item; }));
  }
  $("mfa-prompt").textContent = enrollment ? "Then enter the 6-digit code the app shows for this account." : "Enter the 6-digit code your authenticator app shows for this account.";
  $("otp").value = "";
  showStep("mfa", true);
}

async function post(path, body, button) {
  button.disabled = true;
  try {
    const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const answer = await response.json();
    return response.ok ? answer : { outcome: "error", status: response.status, ...answer };
  } catch (error) {
    return { outcome: "error", error: "server_error", error_description: "The server could not be reached (" + error.message + ")." };
  } finally {
    button.disabled = false;
  }
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const username = $("username").value.trim();
  clearResult("Signing in as " + (username || "…") + "…");
  const answer = await post("/demo/login", { realm: $("realm").value, username, password: $("password").value }, $("submit"));
  if (answer.outcome === "tokens") return showTokens(answer);
  if (answer.outcome === "mfa") return showMfa(answer);
  clearResult();
  showError({ step: "password", ...answer });
});

$("mfa").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const answer = await post("/demo/mfa", { mfa_token: mfaToken, otp: $("otp").value.trim() }, $("verify"));
  if (answer.outcome === "tokens") return showTokens(answer);
  if (answer.outcome === "mfa") return showMfa(answer);
  const ended = answer.error === "expired_token" || (answer.error === "invalid_grant" && answer.error_description === "Invalid mfa_token.");
  if (ended) startAgain();
  else { $("otp").select(); }
  showError({ step: "mfa", ...answer });
});

$("mfa-cancel").addEventListener("click", startAgain);

$("to-signup").addEventListener("click", () => {
  clearMessages();
  $("signup-email").value = $("username").value;
  showStep("signup", true);
});
$("to-reset").addEventListener("click", () => {
  clearMessages();
  $("reset-email").value = $("username").value;
  $("reset-realm").value = $("realm").value;
  showStep("reset", true);
});
for (const back of document.querySelectorAll("button.back")) back.addEventListener("click", () => { clearMessages(); showStep("login", true); });

$("signup").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const email = $("signup-email").value.trim();
  const realm = $("signup-realm").value;
  const answer = await post("/demo/signup", { realm, email, password: $("signup-password").value }, $("signup-submit"));
  if (answer.outcome !== "signed_up") return showError({ step: "signup", ...answer });
  $("signup-password").value = "";
  $("realm").value = realm;
  $("username").value = answer.email;
  $("password").value = "";
  showStep("login", $("password"));
  notice("Account created for " + answer.email + " in " + realm + "." + (answer.email_verified ? "" : " Verify your email address before you sign in: the demo's require-verified-email rule refuses unverified users."));
});

$("reset").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const answer = await post("/demo/change-password", { realm: $("reset-realm").value, email: $("reset-email").value.trim() }, $("reset-submit"));
  if (answer.outcome !== "reset_requested") return showError({ step: "change_password", ...answer });
  showStep("login", true);
  notice(answer.message + " (The demo writes the link to DATA_DIR/outbox instead of sending an email.)");
});

async function copy(text, button, done) {
  try {
    await navigator.clipboard.writeText(text);
    $("copy-status").textContent = done;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(button === $("copy-secret") ? $("mfa-secret") : $("mfa-recovery"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    $("copy-status").textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
}
$("copy-secret").addEventListener("click", () => copy($("mfa-secret").textContent, $("copy-secret"), "Key copied."));
$("copy-recovery").addEventListener("click", () => copy([...$("mfa-recovery").children].map((item) => item.textContent).join("\\n"), $("copy-recovery"), "Recovery codes copied."));

$("sign-out").addEventListener("click", () => {
  clearResult();
  clearMessages();
  showStep("login", $("password"));
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
