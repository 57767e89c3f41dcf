import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, renderApiTypes } from '../../../console/build.js';
import { openApiJson } from '../../../functions/api/openapi.js';

describe("the console's generated API client types", () => {
  it('match the current OpenAPI document (else run `npm run console:api` and commit the result)', async () => {
    const expected = await renderApiTypes(openApiJson());

    const committed = readFileSync(API_TYPES_FILE, 'utf8');

    expect(committed === expected, 'console/src/api/openapi.gen.ts is stale: run `npm run console:api`').toBe(
      true,
    );
  });

  it("carry the API's format enum, so the console's pickers follow the API", async () => {
    const document = JSON.parse(openApiJson()) as {
      paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }>;
    };
    const bulk = document.paths['/bulk']!.post.requestBody.content['application/json']!.schema as {
      properties: { format: { enum: string[] } };
    };

    const types = await renderApiTypes(openApiJson());

    expect(types).toContain(
      `pathsBulkPostRequestBodyContentApplicationJsonFormatValues: ReadonlyArray<FlattenedDeepRequired<paths>["/bulk"]["post"]["requestBody"]["content"]["application/json"]["format"]> = ${JSON.stringify(bulk.properties.format.enum).replaceAll(',', ', ')}`,
    );
  });
});
