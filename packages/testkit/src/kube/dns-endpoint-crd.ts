import type { KubeObject } from './kube-object.js';

/**
 * external-dns's `DNSEndpoint` CRD (`externaldns.k8s.io/v1alpha1`,
 * `dnsendpoints`), as its chart installs it (schema trimmed to the fields
 * external-dns reads), ready for `server.seed(dnsEndpointCrd())` or a POST.
 */
export function dnsEndpointCrd(): KubeObject {
  const str = { type: 'string' };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'dnsendpoints.externaldns.k8s.io', annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/external-dns/pull/2007' } },
    spec: {
      group: 'externaldns.k8s.io',
      names: { kind: 'DNSEndpoint', listKind: 'DNSEndpointList', plural: 'dnsendpoints', singular: 'dnsendpoint' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: str,
                kind: str,
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  properties: {
                    endpoints: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          dnsName: str,
                          labels: { type: 'object', additionalProperties: str },
                          providerSpecific: { type: 'array', items: { type: 'object', properties: { name: str, value: str } } },
                          recordTTL: { type: 'integer', format: 'int64' },
                          recordType: str,
                          setIdentifier: str,
                          targets: { type: 'array', items: str },
                        },
                      },
                    },
                  },
                },
                status: { type: 'object', properties: { observedGeneration: { type: 'integer', format: 'int64' } } },
              },
            },
          },
        },
      ],
    },
  };
}
