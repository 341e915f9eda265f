// The live connectors on `serve` (SPEC §13, docs/connectors.md), in their own Fastify scope:
// they read XML as well as JSON, as raw bytes, whatever the rest of the server accepts.
import type { FastifyInstance } from 'fastify';
import type { ConnectorDeps } from './common.ts';
import { registerHubspot } from './hubspot.ts';
import { registerSalesforce } from './salesforce.ts';
import { registerStripe } from './stripe.ts';
import { registerXapi } from './xapi.ts';

export type { ConnectorDeps } from './common.ts';
export { connectorSettingsFromEnv, type ConnectorSettings } from './settings.ts';

export function registerConnectorRoutes(app: FastifyInstance, deps: ConnectorDeps): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['application/json', 'text/xml', 'application/xml', 'application/soap+xml'],
      { parseAs: 'buffer' },
      (_request, body, done) => done(null, body),
    );
    registerSalesforce(scope, deps);
    registerHubspot(scope, deps);
    registerStripe(scope, deps);
    registerXapi(scope, deps);
  });
}
