// Node's `http` and `https` modules for rules and bundled packages: ClientRequest and
// IncomingMessage over the engine's HTTP bridge (the same policy as every other client).
