import type Docker from 'dockerode';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** The fields of Docker's node listing read here. */
interface SwarmNode {
  readonly ID?: string;
  readonly Description?: { readonly Hostname?: string };
  readonly Spec?: { readonly Role?: string; readonly Availability?: string };
  readonly Status?: { readonly State?: string };
}

interface NodeSummary {
  readonly hostname: string;
  readonly role: string;
  readonly availability: string;
  readonly ready: boolean;
}

/**
 * The Swarm's nodes as the manager sees them, read when Prometheus scrapes: a node that stops
 * answering shows as not ready within Swarm's heartbeat period, whether or not a pass is running.
 */
export function registerNodeMetrics(
  registry: Registry,
  docker: Docker,
): Gauge<'node' | 'role' | 'availability'> {
  const gauge: Gauge<'node' | 'role' | 'availability'> = new Gauge({
    name: 'remcode_controller_node_ready',
    help: '1 while a Swarm node is ready, 0 while it is down or unknown, by node, role and availability',
    labelNames: ['node', 'role', 'availability'] as const,
    registers: [registry],
    async collect() {
      let nodes: NodeSummary[];
      try {
        nodes = ((await docker.listNodes()) as SwarmNode[]).map((node) => ({
          hostname: node.Description?.Hostname ?? node.ID ?? 'unknown',
          role: node.Spec?.Role ?? 'unknown',
          availability: node.Spec?.Availability ?? 'unknown',
          ready: node.Status?.State === 'ready',
        }));
      } catch {
        // No answer from the engine is not a node state: the scrape shows no series, and the
        // controller's own Docker error counters tell why.
        gauge.reset();
        return;
      }
      // Reset first, so that a removed node, or one whose role or availability changed, leaves no stale series.
      gauge.reset();
      for (const node of nodes)
        gauge.set(
          { node: node.hostname, role: node.role, availability: node.availability },
          node.ready ? 1 : 0,
        );
    },
  });
  return gauge;
}
