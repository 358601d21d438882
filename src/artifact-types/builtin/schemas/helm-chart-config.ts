/**
 * JSON Schema (draft-07) for a Helm chart's OCI config
 * (`application/vnd.cncf.helm.config.v1+json`): the chart's `Chart.yaml`
 * metadata as JSON. Helm writes it with `json.Marshal(chart.Metadata)`, whose
 * JSON keys are Chart.yaml's own keys.
 *
 * Sources: https://helm.sh/docs/topics/charts/#the-chartyaml-file (the IANA
 * registration of the media type cites it as the published specification),
 * https://helm.sh/docs/topics/registries/.
 *
 * Required: `apiVersion`, `name` and `version`, as Chart.yaml requires them.
 * Unknown keys are allowed: charts carry fields from older and newer Helm versions.
 */

const stringList = { type: 'array', items: { type: 'string' } } as const;

export const HELM_CHART_CONFIG_SCHEMA: Readonly<Record<string, unknown>> = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Helm chart metadata (Chart.yaml as JSON)',
  type: 'object',
  required: ['apiVersion', 'name', 'version'],
  properties: {
    apiVersion: { type: 'string', enum: ['v1', 'v2'] },
    name: { type: 'string', minLength: 1 },
    version: { type: 'string', minLength: 1, description: 'A SemVer 2 version.' },
    kubeVersion: { type: 'string' },
    description: { type: 'string' },
    type: { type: 'string', enum: ['application', 'library'] },
    keywords: stringList,
    home: { type: 'string' },
    sources: stringList,
    dependencies: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          version: { type: 'string' },
          repository: { type: 'string' },
          condition: { type: 'string' },
          tags: stringList,
          enabled: { type: 'boolean' },
          'import-values': { type: 'array' },
          alias: { type: 'string' },
        },
      },
    },
    maintainers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          email: { type: 'string' },
          url: { type: 'string' },
        },
      },
    },
    icon: { type: 'string' },
    appVersion: { type: 'string' },
    deprecated: { type: 'boolean' },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};
