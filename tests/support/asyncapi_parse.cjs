// Parses an AsyncAPI document with the official parser (@asyncapi/parser) and prints its diagnostics as JSON:
//   node tests/support/asyncapi_parse.cjs DOCUMENT
//   -> {"parser": "<version>", "diagnostics": [{"severity": "error", "code": ..., "path": ..., "message": ...}, ...]}
// The parser is looked up in .cache/asyncapi-parser (tests/support/fetch_asyncapi_parser.sh installs it there),
// or in $ASYNCAPI_PARSER_DIR. Exit code 0 whatever the diagnostics say (the caller judges them); 2 on misuse.
'use strict';
const path = require('path');

const dir = process.env.ASYNCAPI_PARSER_DIR || path.join(__dirname, '..', '..', '.cache', 'asyncapi-parser');
const SEVERITY = ['error', 'warning', 'info', 'hint']; // Spectral's DiagnosticSeverity, by value

async function main(file) {
  const modulePath = require.resolve('@asyncapi/parser', { paths: [dir] });
  const { Parser, fromFile } = require(modulePath);
  const { version } = require(require.resolve('@asyncapi/parser/package.json', { paths: [dir] }));
  const { diagnostics } = await fromFile(new Parser(), file).parse();
  const out = diagnostics.map((d) => ({
    severity: SEVERITY[d.severity] || String(d.severity),
    code: String(d.code),
    path: d.path.join('/'),
    message: d.message,
  }));
  process.stdout.write(JSON.stringify({ parser: version, diagnostics: out }) + '\n');
}

if (process.argv.length !== 3) {
  process.stderr.write('usage: node asyncapi_parse.cjs DOCUMENT\n');
  process.exit(2);
}
main(path.resolve(process.argv[2])).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
