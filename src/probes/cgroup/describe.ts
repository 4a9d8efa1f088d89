// What a person recognises in a cgroup path: a systemd service, scope or slice, a container of a
// runtime (docker, podman/libpod, containerd/CRI, CRI-O) and its id, a Kubernetes pod by its UID
// and QoS class. Pure: the path (relative to the v2 hierarchy's root, "/a/b") in, the description
// out. The rules are the cgroup names the runtimes and the kubelet make, in both cgroup drivers:
//   systemd driver:  /system.slice/docker-<id>.scope, /machine.slice/libpod-<id>.scope,
//                    /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/
//                      cri-containerd-<id>.scope | crio-<id>.scope | docker-<id>.scope
//   cgroupfs driver: /docker/<id>, /libpod_parent/libpod-<id>, /kubepods/besteffort/pod<uid>/<id>
// A pod without a QoS level in its path (kubepods-pod<uid>.slice, /kubepods/pod<uid>) is
// Guaranteed: the kubelet puts Burstable and BestEffort pods under their own level only.

export type CgroupRuntime = 'docker' | 'podman' | 'containerd' | 'cri-o';
export type PodQos = 'guaranteed' | 'burstable' | 'besteffort';

export interface CgroupDescription {
  kind: 'root' | 'container' | 'pod' | 'service' | 'scope' | 'slice' | 'cgroup';
  /** The container runtime, for a container's cgroup (or one below it). */
  runtime: CgroupRuntime | null;
  /** The container's id (hex, as the runtime writes it), or null. */
  container: string | null;
  /** The Kubernetes pod the cgroup is in (its own or an ancestor's), or null. */
  pod: { uid: string; qos: PodQos } | null;
  /** The innermost systemd unit (x.service, x.scope, x.slice), or null. */
  unit: string | null;
  /** A short label: "podman:0123456789ab", "nginx.service", "pod 1c2d3e4f (burstable)", the last component, or "/". */
  label: string;
}

const HEX_ID = /^[0-9a-f]{12,64}$/;
/** A systemd scope or cgroupfs directory of a container: prefix-<id>[.scope]. */
const SCOPES: readonly (readonly [RegExp, CgroupRuntime])[] = [
  [/^docker-([0-9a-f]{12,64})\.scope$/, 'docker'],
  [/^libpod-([0-9a-f]{12,64})(?:\.scope)?$/, 'podman'],
  [/^cri-containerd-([0-9a-f]{12,64})\.scope$/, 'containerd'],
  [/^crio-([0-9a-f]{12,64})(?:\.scope)?$/, 'cri-o'],
];
/** A pod: kubepods[-qos]-pod<uid with _>.slice, or pod<uid> (cgroupfs). */
const POD_SLICE = /^kubepods(?:-(burstable|besteffort))?-pod([0-9a-f_]{32,36})\.slice$/;
const POD_DIR = /^pod([0-9a-f-]{32,36})$/;

/** The description of one cgroup path ("/" is the root). */
export function describeCgroupPath(path: string): CgroupDescription {
  const parts = path.split('/').filter((p) => p.length > 0);
  const d: CgroupDescription = { kind: 'cgroup', runtime: null, container: null, pod: null, unit: null, label: '/' };
  if (parts.length === 0) return { ...d, kind: 'root' };
  let inKubepods = false;
  let qos: PodQos = 'guaranteed';
  let podDepth = -1;
  let containerDepth = -1;
  parts.forEach((p, i) => {
    if (p === 'kubepods' || p === 'kubepods.slice') inKubepods = true;
    if (inKubepods && (p === 'burstable' || p === 'besteffort')) qos = p;
    const qs = /^kubepods-(burstable|besteffort)\.slice$/.exec(p);
    if (qs) qos = qs[1] as PodQos;
    const ps = POD_SLICE.exec(p);
    const pd = inKubepods ? POD_DIR.exec(p) : null;
    if (ps || pd) {
      const uid = ps ? ps[2].replace(/_/g, '-') : pd![1];
      d.pod = { uid, qos: ps ? ((ps[1] as PodQos | undefined) ?? 'guaranteed') : qos };
      podDepth = i;
    }
    for (const [re, runtime] of SCOPES) {
      const m = re.exec(p);
      if (m) {
        d.runtime = runtime;
        d.container = m[1];
        containerDepth = i;
      }
    }
    // cgroupfs drivers: /docker/<id>; a bare id right under a pod is the CRI runtime's container.
    if (containerDepth !== i && HEX_ID.test(p) && p.length === 64) {
      if (i > 0 && parts[i - 1] === 'docker') {
        d.runtime = 'docker';
        d.container = p;
        containerDepth = i;
      } else if (podDepth === i - 1) {
        d.runtime = 'containerd';
        d.container = p;
        containerDepth = i;
      }
    }
    if (/\.(service|scope|slice)$/.test(p)) d.unit = p;
  });
  const last = parts[parts.length - 1];
  if (d.container !== null && containerDepth >= podDepth) {
    d.kind = containerDepth === parts.length - 1 ? 'container' : 'cgroup';
    d.label = `${d.runtime}:${d.container.slice(0, 12)}`;
    if (containerDepth < parts.length - 1) d.label += `/${last}`;
  } else if (d.pod && podDepth === parts.length - 1) {
    d.kind = 'pod';
    d.label = `pod ${d.pod.uid.slice(0, 8)} (${d.pod.qos})`;
  } else if (last.endsWith('.service')) {
    d.kind = 'service';
    d.label = last;
  } else if (last.endsWith('.scope')) {
    d.kind = 'scope';
    d.label = last;
  } else if (last.endsWith('.slice')) {
    d.kind = 'slice';
    d.label = last;
  } else {
    d.label = d.pod ? `pod ${d.pod.uid.slice(0, 8)}/${last}` : last;
  }
  return d;
}
