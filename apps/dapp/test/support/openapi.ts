import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

// Checks answers against the service's own /openapi.json: every answer the suite's Client receives from
// a route the document describes must have a status the document lists for it and, when JSON, a body its
// schema accepts. A route that answers something its description does not say fails the test that saw it.

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

/** One route of the document: its path as a pattern, and its operations by method. */
interface Route {
  template: string;
  pattern: RegExp;
  operations: Record<string, Operation>;
}

export class OpenApiValidator {
  private readonly routes: Route[];
  private readonly ajv = new Ajv({ strict: false, allErrors: false });
  private readonly compiled = new Map<object, ValidateFunction>();
  /** Answers checked, by status: the figure the issue asks for. */
  readonly checked = new Map<number, number>();

  constructor(document: Document) {
    (addFormats as unknown as (ajv: Ajv) => void)(this.ajv);
    this.routes = Object.entries(document.paths).map(([template, operations]) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      operations,
    }));
  }

  static async of(baseUrl: string): Promise<OpenApiValidator> {
    const response = await fetch(`${baseUrl}/openapi.json`);
    return new OpenApiValidator((await response.json()) as Document);
  }

  /** What is wrong with an answer, or undefined: also for a path the document does not describe. */
  problem(
    method: string,
    url: string,
    status: number,
    contentType: string | null,
    body: unknown,
  ): string | undefined {
    const path = url.split('?')[0]!;
    const route = this.routes.find((r) => r.pattern.test(path));
    const operation = route?.operations[method.toLowerCase()];
    if (!route || !operation) return undefined;
    this.checked.set(status, (this.checked.get(status) ?? 0) + 1);
    const where = `${method} ${route.template} answered ${status}`;
    const described = operation.responses?.[String(status)];
    if (!described) return `${where}, a status its OpenAPI description does not list`;
    if (!contentType?.includes('application/json')) return undefined;
    // Bytes of any type (a document's own): JSON among them is not the API's.
    if (described.content?.['*/*']) return undefined;
    const schema = described.content?.['application/json']?.schema;
    if (!schema) return `${where} with JSON its description does not have`;
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    return validate(body)
      ? undefined
      : `${where} with a body its schema refuses: ${this.ajv.errorsText(validate.errors)}`;
  }
}

const validators = new Map<string, Promise<OpenApiValidator | undefined>>();

/** The validator of the service at `baseUrl`, fetched once (undefined when it serves no document). */
export function validatorFor(baseUrl: string): Promise<OpenApiValidator | undefined> {
  let validator = validators.get(baseUrl);
  if (!validator) {
    validator = OpenApiValidator.of(baseUrl).catch(() => undefined);
    validators.set(baseUrl, validator);
  }
  return validator;
}
