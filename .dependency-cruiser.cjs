/**
 * What may import what (docs/architecture.md explains the layers). `npm run lint` runs this; a new
 * import that crosses a boundary fails CI.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Import cycles make load order and ownership unclear.',
      from: { path: '^src/' },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-type-cycles',
      severity: 'error',
      comment: 'Type-only cycles are cycles of design all the same.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'shared-is-a-leaf',
      severity: 'error',
      comment: 'src/shared/ imports nothing of ours outside src/shared/.',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'db-schema-imports-only-shared',
      severity: 'error',
      from: { path: '^src/db/schema/' },
      to: { path: '^src/', pathNot: ['^src/shared/', '^src/db/schema/'] },
    },
    {
      name: 'modules-stay-transport-free',
      severity: 'error',
      comment:
        'Modules hold the rules: they never import GraphQL, HTTP, adapters, config or the composition root; they get what they need through ports.',
      from: { path: '^src/modules/' },
      to: {
        path: [
          '^src/graphql/',
          '^src/http/',
          '^src/adapters/',
          '^src/config\\.ts$',
          '^src/(main|cluster)\\.ts$',
          '^src/composition/',
          '^src/acquirer/',
        ],
      },
    },
    {
      name: 'modules-meet-through-their-index',
      severity: 'error',
      comment: 'Another module is reached through its index.ts, its public face.',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/.+', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'adapters-implement-ports-only',
      severity: 'error',
      comment: 'Adapters implement ports from shared/; they import no module and no GraphQL or HTTP.',
      from: { path: '^src/adapters/' },
      to: { path: ['^src/modules/', '^src/graphql/', '^src/http/', '^src/config\\.ts$'] },
    },
    {
      name: 'resolvers-never-touch-the-database',
      severity: 'error',
      comment: 'GraphQL resolvers map arguments to module verbs; the database is the modules’ business.',
      from: { path: '^src/graphql/' },
      to: { path: '^src/db/' },
    },
    {
      name: 'sdk-stands-alone',
      severity: 'error',
      comment: 'The SDK ships to game servers and browsers: it imports nothing of the server.',
      from: { path: '^src/sdk/' },
      to: { path: '^src/', pathNot: '^src/sdk/' },
    },
    {
      name: 'the-web-front-talks-http-only',
      severity: 'error',
      comment: "Coinslot's web front runs in the browser: it reaches the server over HTTP, never by import.",
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: '^src/sdk/' },
    },
    {
      name: 'games-are-third-parties',
      severity: 'error',
      comment: 'The demo games use only the public API and the SDK, as any studio would.',
      from: { path: '^game-demo/' },
      to: { path: '^src/', pathNot: '^src/sdk/' },
    },
    {
      name: 'only-the-root-reads-config',
      severity: 'error',
      comment:
        'Configuration is read once by an entry point and handed to the composition root (src/composition/), which hands modules what they need.',
      from: {
        path: '^src/',
        pathNot: [
          '^src/(main|cluster|config)\\.ts$',
          '^src/composition/',
          '^src/acquirer/main\\.ts$',
          '^src/db/migrate-cli\\.ts$',
        ],
      },
      to: { path: '^src/config\\.ts$' },
    },
    {
      name: 'only-the-root-builds-adapters',
      severity: 'error',
      comment:
        'Adapters (Redis, memory twins, the acquirer and outbound HTTP clients) are built in one place, src/composition/; everything else sees the ports in src/shared/.',
      from: { path: '^src/', pathNot: ['^src/composition/', '^src/adapters/'] },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'only-entry-points-call-the-root',
      severity: 'error',
      comment:
        'The composition root is called by the entry points (main.ts, cluster.ts, acquirer/main.ts) and test helpers, never by what it wires.',
      from: { path: '^src/', pathNot: ['^src/composition/', '^src/(main|cluster)\\.ts$', '^src/acquirer/main\\.ts$'] },
      to: { path: '^src/composition/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '\\.d\\.ts$', 'dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
