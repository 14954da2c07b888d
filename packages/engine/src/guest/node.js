// Node's built-in modules for bundled packages and rules: sandbox-safe ports that need no host
// (events, stream, util, path, …), a powerless `process`, and `require.cache`.
