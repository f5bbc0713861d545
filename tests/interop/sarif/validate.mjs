// Usage: node validate.mjs LOG.sarif
// Exit 0 when LOG validates against the SARIF 2.1.0 schema; otherwise prints each violation
// (JSON pointer and what is wrong) on stderr and exits 1.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";

const schemaUrl = new URL(
  "./node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json",
  import.meta.url,
);
const schema = JSON.parse(readFileSync(schemaUrl, "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

const log = JSON.parse(readFileSync(process.argv[2], "utf8"));
if (!validate(log)) {
  for (const e of validate.errors) console.error(`${e.instancePath || "/"}: ${e.message}`);
  process.exit(1);
}
console.log(`${process.argv[2]}: valid SARIF ${log.version}`);
