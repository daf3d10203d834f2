// Validates the OpenAPI document on stdin with @apidevtools/swagger-parser
// (the schema of the OpenAPI version it declares, then its references and
// path parameters). Prints "valid OpenAPI <version>" and exits 0, or prints
// what is wrong and exits 1.
const path = require("path");
const SwaggerParser = require(
    path.join(process.env.INFERD_NODE_MODULES, "@apidevtools/swagger-parser"));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  try {
    const document = JSON.parse(input);
    const api = await SwaggerParser.validate(document);
    console.log(`valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths`);
  } catch (error) {
    console.log(`invalid: ${error.message}`);
    process.exit(1);
  }
});
