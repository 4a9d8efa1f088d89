// The views: every probe of the catalogue (src/catalogue/catalogue.ts) with its view, one line
// each (the type makes a probe without one an error). The screen reads the probes through
// SCREEN_CATALOGUE: each probe's data and view side by side, in catalogue order.
import { CATALOGUE, type ProbeName, type SampleOf } from '../catalogue/catalogue.js';
import { containersView } from './containers.js';
import { execView } from './exec.js';
import { isolationView } from './isolation.js';
import { offcpuView } from './offcpu.js';
import { openView } from './open.js';
import { printView } from './print.js';
import { procView } from './proc.js';
import { profileView } from './profile.js';
import { runqlatView } from './runqlat.js';
import { tcpView } from './tcp.js';
import { traceView } from './trace.js';
import { withViews, type ScreenCatalogue, type ViewSpec } from './view.js';

export const VIEWS: { readonly [N in ProbeName]: ViewSpec<SampleOf<N>> } = {
  offcpu: offcpuView,
  runqlat: runqlatView,
  exec: execView,
  open: openView,
  tcp: tcpView,
  proc: procView,
  trace: traceView,
  print: printView,
  profile: profileView,
  isolation: isolationView,
  containers: containersView,
};

export const SCREEN_CATALOGUE: ScreenCatalogue = withViews(CATALOGUE, VIEWS);
