// The site's table of contents, in the order a reader takes it: what tokenrules is and a first
// rule, then the guides for writing, testing and serving rules, then the reference. Every
// docs/*.md guide belongs here: the build warns about one that is not (the site's tests fail on
// the warning) and shows it at the end of the sidebar meanwhile. An entry whose file is not there
// (a guide listed before it lands) is left out. A page the guides link to that is not listed (a
// README of a test corpus, a source file) is built but not in the sidebar. Paths are relative to
// the repository.
export const sidebar = [
  {
    title: 'Start here',
    pages: [
      { path: 'docs/README.md', label: 'Overview' },
      { path: 'docs/getting-started.md' },
      { path: 'docs/installing.md', label: 'Installing the packages' },
      { path: 'docs/concepts.md' },
    ],
  },
  {
    title: 'Guides',
    pages: [
      { path: 'docs/writing-rules.md' },
      { path: 'docs/testing-rules.md' },
      { path: 'docs/errors.md' },
      { path: 'docs/token-endpoint.md' },
      { path: 'docs/embedding.md' },
      { path: 'docs/deployment.md', label: 'Deployment' },
      { path: 'docs/server-config.md' },
      { path: 'docs/actions.md' },
      { path: 'docs/migrating-from-auth0.md' },
    ],
  },
  {
    title: 'Reference',
    pages: [
      { path: 'docs/behaviour.md' },
      { path: 'docs/security.md' },
      { path: 'docs/compatibility.md' },
      { path: 'docs/benchmarks.md' },
      { path: 'docs/node-versions.md' },
      { href: 'api/index.html', label: 'API reference' },
    ],
  },
  {
    title: 'Packages and examples',
    pages: [
      { path: 'packages/engine/README.md' },
      { path: 'packages/oauth/README.md' },
      { path: 'packages/testing/README.md' },
      { path: 'examples/token-server/README.md' },
      { path: 'examples/rule-tests/README.md' },
      { path: 'examples/oidc-provider/README.md' },
    ],
  },
]
