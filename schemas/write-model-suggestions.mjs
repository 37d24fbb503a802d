// Rewrites the `model` suggestions of prompt.schema.json from the model catalogue
// (src/core/models/modelCatalogue.ts), so the schema never has to be edited by hand when a model is
// added. Run with `npm run schema:models`; a unit test fails while the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { modelSuggestions } = require('../out/src/core/models/modelCatalogue.js');
const path = fileURLToPath(import.meta.resolve('./prompt.schema.json'));
const schema = JSON.parse(readFileSync(path, 'utf8'));
const suggestions = schema.definitions.request.properties.model.anyOf[0];
const models = modelSuggestions();
suggestions.enum = models.map((model) => model.id);
suggestions.markdownEnumDescriptions = models.map((model) => model.description);
writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
console.log(`schemas/prompt.schema.json: ${models.length} model suggestions from the catalogue`);
