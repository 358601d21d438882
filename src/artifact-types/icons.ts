/**
 * berth's own artifact-type glyphs: simple geometric line drawings made for
 * berth, no third-party logos. Every icon is a 24x24 SVG that strokes with
 * `currentColor`, so the UI sets its colour with CSS.
 */

/** Wraps glyph paths in berth's standard `<svg>` element. */
function glyph(body: string): string {
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" ' +
    'fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" ' +
    `stroke-linejoin="round" aria-hidden="true">${body}</svg>`
  );
}

const PAGE = '<path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4"/>';
const SHIELD = '<path d="M12 3l7 3v5c0 4.5-3 8-7 10-4-2-7-5.5-7-10V6z"/>';
const SEAL = '<circle cx="12" cy="10" r="6"/><path d="M8.5 15.2 7 21l5-2 5 2-1.5-5.8"/>';
const CYLINDER =
  '<ellipse cx="12" cy="5.5" rx="7" ry="2.5"/>' + '<path d="M5 5.5v13c0 1.4 3.1 2.5 7 2.5s7-1.1 7-2.5v-13"/>';
const CUBE = '<path d="M12 3l8 4.5v9L12 21l-8-4.5v-9z"/><path d="M4 7.5l8 4.5 8-4.5M12 12v9"/>';
const FRAME = '<rect x="3" y="3" width="18" height="18" rx="3"/>';
const PLUG = '<path d="M9 3v5M15 3v5"/><rect x="6" y="8" width="12" height="6" rx="2"/><path d="M12 14v7"/>';

/** The glyphs, by what they draw. */
export const ICONS = {
  /** Three stacked slabs: an image's layers. */
  layers:
    '<rect x="4" y="4" width="16" height="4" rx="1"/><rect x="4" y="10" width="16" height="4" rx="1"/>' +
    '<rect x="4" y="16" width="16" height="4" rx="1"/>',
  /** Two slabs and a porthole: a Docker-format image. */
  slabsPorthole:
    '<rect x="4" y="9" width="16" height="4" rx="1"/><rect x="4" y="15" width="16" height="4" rx="1"/>' +
    '<circle cx="16.5" cy="5" r="1.5"/>',
  /** Four tiles: an index of platform images. */
  grid:
    '<rect x="3.5" y="3.5" width="7" height="7" rx="1"/><rect x="13.5" y="3.5" width="7" height="7" rx="1"/>' +
    '<rect x="3.5" y="13.5" width="7" height="7" rx="1"/><rect x="13.5" y="13.5" width="7" height="7" rx="1"/>',
  /** Four tiles, one filled: a Docker manifest list. */
  gridFilled:
    '<rect x="3.5" y="3.5" width="7" height="7" rx="1" fill="currentColor"/>' +
    '<rect x="13.5" y="3.5" width="7" height="7" rx="1"/><rect x="3.5" y="13.5" width="7" height="7" rx="1"/>' +
    '<rect x="13.5" y="13.5" width="7" height="7" rx="1"/>',
  /** A single segmented capsule: a one-file container image. */
  capsule: '<rect x="6" y="3" width="12" height="18" rx="2"/><path d="M6 9h12M6 15h12"/>',
  /** A hexagon with a core: a WebAssembly module. */
  hexagon: '<path d="M12 3l7.8 4.5v9L12 21l-7.8-4.5v-9z"/><circle cx="12" cy="12" r="2"/>',
  /** A rosette with a tick: a signature. */
  sealCheck: `${SEAL}<path d="M9.5 10l1.8 1.8 3.2-3.6"/>`,
  /** A rosette with a keyhole: a signature with an X.509 chain. */
  sealKey: `${SEAL}<circle cx="12" cy="9" r="1.5"/><path d="M12 10.5v2.5"/>`,
  /** A tied parcel: a self-contained bundle. */
  parcel:
    '<rect x="4" y="7" width="16" height="14" rx="2"/><path d="M12 7v14M4 13h16"/>' +
    '<path d="M9 7c0-2 1.5-3 3-3s3 1 3 3"/>',
  /** A shield with a tick: an attestation. */
  shieldCheck: `${SHIELD}<path d="M9 12l2 2 4-4"/>`,
  /** A shield with rules on it: a policy. */
  shieldLines: `${SHIELD}<path d="M9 10h6M9 13h6"/>`,
  /** A shield with a dot: a policy set. */
  shieldDot: `${SHIELD}<circle cx="12" cy="11.5" r="2"/>`,
  /** A page with a list: a bill of materials. */
  pageList: `${PAGE}<path d="M9 11h6M9 14h6M9 17h4"/>`,
  /** A page with bullets: a component inventory. */
  pageBullets:
    `${PAGE}<circle cx="9" cy="11" r=".75"/><circle cx="9" cy="14" r=".75"/><circle cx="9" cy="17" r=".75"/>` +
    '<path d="M11 11h4M11 14h4M11 17h3"/>',
  /** A page with an exclamation mark: an exploitability statement. */
  pageAlert: `${PAGE}<path d="M12 10v4"/><circle cx="12" cy="17" r=".6"/>`,
  /** A page with a magnifier: analysis results. */
  pageLens: `${PAGE}<circle cx="11" cy="13" r="3"/><path d="M13.2 15.2 15.5 17.5"/>`,
  /** A bare page: a generic file. */
  page: PAGE,
  /** An open book: documentation. */
  book: '<path d="M3 5c3-1 6-1 9 1 3-2 6-2 9-1v14c-3-1-6-1-9 1-3-2-6-2-9-1z"/><path d="M12 6v14"/>',
  /** A crate with a handle: a chart package. */
  crate: '<rect x="3" y="8" width="18" height="12" rx="1.5"/><path d="M2 8h20l-2-4H4z"/><path d="M10 12h4"/>',
  /** An isometric box: a package. */
  cube: CUBE,
  /** An isometric box with a mark: a module package. */
  cubeDot: `${CUBE}<circle cx="12" cy="7.5" r="1"/>`,
  /** Three boxes in a pyramid: a bundle of images. */
  boxes:
    '<rect x="3" y="13" width="8" height="8" rx="1"/><rect x="13" y="13" width="8" height="8" rx="1"/>' +
    '<rect x="8" y="3" width="8" height="8" rx="1"/>',
  /** A framed plus: an add-on feature. */
  framePlus: `${FRAME}<path d="M12 8v8M8 12h8"/>`,
  /** Framed braces: a configuration module. */
  frameBraces:
    `${FRAME}<path d="M10 8c-1.5 0-2 .5-2 2v.5c0 1-.5 1.5-1.5 1.5 1 0 1.5.5 1.5 1.5v.5c0 1.5.5 2 2 2"/>` +
    '<path d="M14 8c1.5 0 2 .5 2 2v.5c0 1 .5 1.5 1.5 1.5-1 0-1.5.5-1.5 1.5v.5c0 1.5-.5 2-2 2"/>',
  /** Open braces: a schema or language module. */
  braces:
    '<path d="M9 4c-2 0-3 1-3 3v2c0 1.5-.7 2.5-2 3 1.3.5 2 1.5 2 3v2c0 2 1 3 3 3"/>' +
    '<path d="M15 4c2 0 3 1 3 3v2c0 1.5.7 2.5 2 3-1.3.5-2 1.5-2 3v2c0 2-1 3-3 3"/>',
  /** A hub with four spokes: a provider that connects to APIs. */
  hub: '<circle cx="12" cy="12" r="3"/><path d="M12 3v6M12 15v6M3 12h6M15 12h6"/>',
  /** A plug: a plugin. */
  plug: PLUG,
  /** Two chasing arrows: continuously reconciled configuration. */
  loop:
    '<path d="M20 12a8 8 0 0 1-13.7 5.6"/><path d="M4 12a8 8 0 0 1 13.7-5.6"/>' + '<path d="M18 3v4h-4M6 21v-4h4"/>',
  /** A box with an arrow into it: an air-gap package. */
  boxArrow: '<rect x="3" y="10" width="18" height="11" rx="1.5"/><path d="M12 2v9M8.5 7.5 12 11l3.5-3.5"/>',
  /** Three linked tiles: services composed together. */
  linkedTiles:
    '<rect x="3" y="3" width="6" height="6" rx="1"/><rect x="15" y="3" width="6" height="6" rx="1"/>' +
    '<rect x="9" y="15" width="6" height="6" rx="1"/><path d="M9 6h6M6 9l4.5 6M18 9l-4.5 6"/>',
  /** Three stations on a line: a pipeline. */
  stations:
    '<circle cx="5" cy="12" r="2.5"/><circle cx="12" cy="12" r="2.5"/><circle cx="19" cy="12" r="2.5"/>' +
    '<path d="M7.5 12h2M14.5 12h2"/>',
  /** An eye: runtime detection rules. */
  eye: '<path d="M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12z"/><circle cx="12" cy="12" r="3"/>',
  /** A database cylinder. */
  cylinder: `${CYLINDER}<path d="M5 12c0 1.4 3.1 2.5 7 2.5s7-1.1 7-2.5"/>`,
  /** A cylinder with a spark: a build cache. */
  cylinderSpark: `${CYLINDER}<path d="M13 10l-2 3h3l-2 3"/>`,
  /** A luggage tag: metadata. */
  tag: '<path d="M3 12V4h8l10 10-8 8z"/><circle cx="7.5" cy="8.5" r="1.5"/>',
  /** Linked nodes: a machine-learning model. */
  nodes:
    '<circle cx="5" cy="6" r="2"/><circle cx="5" cy="18" r="2"/><circle cx="12" cy="12" r="2"/>' +
    '<circle cx="19" cy="12" r="2"/><path d="M6.6 7.3l3.8 3.4M6.6 16.7l3.8-3.4M14 12h3"/>',
  /** A framed dot: any type without an icon of its own. */
  generic: `${FRAME}<circle cx="12" cy="12" r="2"/>`,
} as const;

/** The name of one glyph in {@link ICONS}. */
export type IconName = keyof typeof ICONS;

/**
 * The full `<svg>` for a glyph.
 *
 * @example
 * icon('layers'); // '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" ...>...</svg>'
 */
export function icon(name: IconName): string {
  return glyph(ICONS[name]);
}

/** The icon of an operator type that does not draw its own. */
export const DEFAULT_ICON: string = icon('generic');
