// better-sqlite3-multiple-ciphers ships its own index.d.ts, but its package.json "exports" map has no "types", so
// TypeScript (moduleResolution Bundler) cannot reach it. Its API is better-sqlite3's, plus key() and rekey(), which
// db.ts types itself; so the module is typed as better-sqlite3 (@types/better-sqlite3).
declare module 'better-sqlite3-multiple-ciphers' {
  import Database from 'better-sqlite3';
  export = Database;
}
