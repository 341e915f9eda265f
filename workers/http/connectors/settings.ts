// The live connectors' settings (SPEC §13): the mapping file and each source's credentials.
// A connector whose settings are missing is not offered: its endpoint answers 404.
import { readFileSync } from 'node:fs';
import { ConfigError, readVariable, type Env } from '../../../config/env.ts';
import { loadMapping, type Mapping } from '../../../domain/connectors/mapping.ts';

export interface ConnectorSettings {
  mapping?: Mapping;
  salesforceToken?: string;
  hubspot?: { clientSecret: string; accessToken: string; apiUrl: string };
  stripeSecret?: string;
  xapi?: { key: string; secret: string };
}

/** Reads the mapping file named by TIERLINE_CONNECTORS; an invalid one stops `serve` at start-up. */
export function connectorSettingsFromEnv(env: Env = process.env): ConnectorSettings {
  const path = readVariable('TIERLINE_CONNECTORS', env);
  let mapping: Mapping | undefined;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`TIERLINE_CONNECTORS: cannot read ${path}`, { cause: error });
    }
    const loaded = loadMapping(text);
    if (!loaded.ok)
      throw new ConfigError(`TIERLINE_CONNECTORS: invalid mapping ${path}: ${loaded.problems.join('; ')}`);
    mapping = loaded.value;
  }
  const clientSecret = readVariable('HUBSPOT_CLIENT_SECRET', env);
  const accessToken = readVariable('HUBSPOT_ACCESS_TOKEN', env);
  const key = readVariable('TIERLINE_XAPI_KEY', env);
  const secret = readVariable('TIERLINE_XAPI_SECRET', env);
  const salesforceToken = readVariable('TIERLINE_SALESFORCE_TOKEN', env);
  const stripeSecret = readVariable('STRIPE_WEBHOOK_SECRET', env);
  return {
    ...(mapping ? { mapping } : {}),
    ...(salesforceToken ? { salesforceToken } : {}),
    ...(clientSecret && accessToken
      ? { hubspot: { clientSecret, accessToken, apiUrl: readVariable('HUBSPOT_API_URL', env) } }
      : {}),
    ...(stripeSecret ? { stripeSecret } : {}),
    ...(key && secret ? { xapi: { key, secret } } : {}),
  };
}
