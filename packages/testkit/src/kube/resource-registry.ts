import type { JsonSchema } from './crd-schema.js';
import { builtinResourceTypes, resourceKey, type ResourceType } from './resource-types.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
  subresources?: { status?: object; scale?: object };
}

/** The part of a CustomResourceDefinition the registry reads (validated before it gets here). */
export interface CrdObject {
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { plural: string; singular?: string; kind: string; shortNames?: string[]; categories?: string[] };
    versions: CrdVersion[];
  };
}

/** The types the fake serves: the built-ins plus one per served version of each registered CRD. */
export class ResourceRegistry {
  private readonly types: ResourceType[] = builtinResourceTypes();

  /** Every served type, built-ins first. */
  all(): ResourceType[] {
    return [...this.types];
  }

  /** The type at `/apis/<group>/<version>/<plural>`. */
  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  /** The served versions of a group, in registration order. */
  versionsOf(group: string): string[] {
    return [...new Set(this.types.filter((t) => t.group === group).map((t) => t.version))];
  }

  /** Every group, core (`''`) first. */
  groups(): string[] {
    return [...new Set(this.types.map((t) => t.group))];
  }

  /** The type a CRD object with this key (`plural.group`) serves, in any version. */
  hasKey(key: string): boolean {
    return this.types.some((t) => resourceKey(t) === key);
  }

  /** Registers (or re-registers, after an update) the served versions of a CRD. */
  registerCrd(crd: CrdObject): void {
    this.unregisterCrd(crd.metadata.name);
    const { group, names, scope } = crd.spec;
    for (const version of crd.spec.versions) {
      if (version.served === false) continue;
      const subresources: Array<'status' | 'scale'> = version.subresources?.status ? ['status'] : [];
      this.types.push({
        group,
        version: version.name,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        kind: names.kind,
        namespaced: scope === 'Namespaced',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        subresources,
        deleteReturnsObject: true,
        allowUnconditionalUpdate: false,
        tracksGeneration: true,
        generationOnAnnotations: false,
        strategicMerge: false,
        ...(version.schema?.openAPIV3Schema ? { schema: version.schema.openAPIV3Schema } : {}),
        crdName: crd.metadata.name,
      });
    }
  }

  /** Removes the types of a CRD. */
  unregisterCrd(crdName: string): void {
    for (let i = this.types.length - 1; i >= 0; i--) if (this.types[i]!.crdName === crdName) this.types.splice(i, 1);
  }
}
