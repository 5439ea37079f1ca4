// The bench's peer: PostGraphile v4 over the bench database, with the options its production
// guide recommends plus the simplify-inflector and connection-filter plugins.
// `node bench/peer_server.js` with NODE_PATH=var/postgraphile/node_modules (see bench/peer.py);
// DATABASE_URL, HOST and PORT come from the environment.
"use strict";

const http = require("http");
const { postgraphile } = require("postgraphile");
const PgSimplifyInflectorPlugin = require("@graphile-contrib/pg-simplify-inflector");
const ConnectionFilterPlugin = require("postgraphile-plugin-connection-filter");

const middleware = postgraphile(process.env.DATABASE_URL, "public", {
  appendPlugins: [PgSimplifyInflectorPlugin, ConnectionFilterPlugin],
  graphileBuildOptions: { connectionFilterRelations: true },
  disableQueryLog: true,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  legacyRelations: "omit",
  extendedErrors: ["errcode"],
  graphiql: false,
  enableQueryBatching: false,
  retryOnInitFail: false,
  exportGqlSchemaPath: process.env.EXPORT_SCHEMA || undefined,
});

http.createServer(middleware).listen(Number(process.env.PORT), process.env.HOST, () => {
  console.log(`peer listening on ${process.env.HOST}:${process.env.PORT}`);
});
