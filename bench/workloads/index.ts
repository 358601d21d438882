/** Every workload, in the order they run. */
import { catalog } from './catalog.js';
import { manifestPush } from './manifest-push.js';
import { manifestGet, manifestHead } from './manifest-read.js';
import { mixed } from './mixed.js';
import { mount } from './mount.js';
import { pullLarge } from './pull-large.js';
import { pullSmall } from './pull-small.js';
import { pushChunked } from './push-chunked.js';
import { pushLarge } from './push-large.js';
import { pushSmall } from './push-small.js';
import { rangeGet } from './range-get.js';
import { rss } from './rss.js';
import { tagList } from './tag-list.js';
import type { Workload } from './types.js';

export const WORKLOADS: readonly Workload[] = [
  pushSmall,
  pushLarge,
  pushChunked,
  pullLarge,
  pullSmall,
  rangeGet,
  manifestPush,
  manifestGet,
  manifestHead,
  tagList,
  catalog,
  mount,
  mixed,
  rss,
];
