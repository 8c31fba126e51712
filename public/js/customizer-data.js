// Customizer tables (UI.md §12): the colour fields and the CSS variables they set (style.css),
// the theme presets and the colour-blind palettes.

/** FIELDS_THEME: theme / themeDark keys (server config names) → CSS variable. */
export const FIELDS_THEME = [
  { key: 'accent', label: 'Accent', css: '--accent' },
  { key: 'accentHover', label: 'Accent (hover)', css: '--accent-hover' },
  { key: 'navBg', label: 'Nav background', css: '--nav-bg' },
  { key: 'navText', label: 'Nav text', css: '--nav-text' },
  { key: 'background', label: 'Background', css: '--bg' },
  { key: 'text', label: 'Text', css: '--text' },
  { key: 'textMuted', label: 'Muted text', css: '--text-muted' },
  { key: 'border', label: 'Border', css: '--border' },
  { key: 'surface1', label: 'Surface 1 / cards', css: '--surface1' },
  { key: 'surface2', label: 'Surface 2 / detail', css: '--surface2' },
  { key: 'surface3', label: 'Surface 3', css: '--surface3' },
  { key: 'inputBg', label: 'Input background', css: '--input-bg' },
  { key: 'rowStripe', label: 'Row stripe', css: '--row-stripe' },
  { key: 'rowHover', label: 'Row hover', css: '--row-hover' },
  { key: 'selectedBg', label: 'Row selected', css: '--selected' },
  { key: 'statusGreen', label: 'Status green', css: '--good' },
  { key: 'statusYellow', label: 'Status yellow', css: '--warn' },
  { key: 'statusRed', label: 'Status red', css: '--bad' },
  { key: 'font', label: 'Font family', css: '--cz-font', type: 'text' },
  { key: 'mono', label: 'Monospace font', css: '--cz-mono', type: 'text' },
];

export const NODE_ROLES = [['repeater', '--mc-role-repeater'], ['companion', '--mc-role-companion'], ['room', '--mc-role-room'],
  ['sensor', '--mc-role-sensor'], ['observer', '--mc-role-observer']];

export const TYPE_COLORS = [['ADVERT', '--t-advert'], ['GRP_TXT', '--t-chan'], ['TXT_MSG', '--t-dm'], ['REQ', '--t-req'],
  ['RESPONSE', '--t-resp'], ['ACK', '--t-ack'], ['TRACE', '--t-trace'], ['PATH', '--t-path'], ['ANON_REQ', '--t-anon'], ['GRP_DATA', '--t-grpdata']];

/** THEME_PRESETS: light and dark colour sets; Default clears the override. */
export const THEME_PRESETS = {
  Default: { light: {}, dark: {} },
  Ocean: {
    light: { accent: '#0077b6', accentHover: '#005f8f', navBg: '#03396c', background: '#f0f7fb', surface1: '#ffffff', border: '#c7dde9' },
    dark: { accent: '#48cae4', accentHover: '#90e0ef', navBg: '#012a4a', background: '#01161e', surface1: '#022b3a', surface2: '#03384a', border: '#0b4f6c' },
  },
  Forest: {
    light: { accent: '#2d6a4f', accentHover: '#1b4332', navBg: '#1b4332', background: '#f1f7f3', surface1: '#ffffff', border: '#cfe3d6' },
    dark: { accent: '#74c69d', accentHover: '#95d5b2', navBg: '#081c15', background: '#0b1d14', surface1: '#12291d', surface2: '#183526', border: '#24503a' },
  },
  Sunset: {
    light: { accent: '#d1495b', accentHover: '#a8344a', navBg: '#3d1f2e', background: '#fff6f0', surface1: '#ffffff', border: '#f0d6cc' },
    dark: { accent: '#f4a261', accentHover: '#f6b983', navBg: '#2b1320', background: '#1a0f14', surface1: '#26151d', surface2: '#311b26', border: '#4d2a3a' },
  },
  Monochrome: {
    light: { accent: '#333333', accentHover: '#000000', navBg: '#222222', background: '#f4f4f4', surface1: '#ffffff', border: '#d0d0d0' },
    dark: { accent: '#d0d0d0', accentHover: '#ffffff', navBg: '#111111', background: '#0c0c0c', surface1: '#171717', surface2: '#202020', border: '#333333' },
  },
};

// Colour-blind palettes: Wong (2011, Nature Methods) as the default; the tuned sets keep the
// hues each deficiency still separates (blue/orange for red-green, red/teal for tritan) and
// Achromatopsia uses luminance steps only.
export const CB_PRESETS = {
  'Default (Wong 2011)': {
    nodeColors: { repeater: '#D55E00', companion: '#56B4E9', room: '#009E73', sensor: '#F0E442', observer: '#CC79A7' },
    typeColors: { ADVERT: '#009E73', GRP_TXT: '#0072B2', TXT_MSG: '#CC79A7', REQ: '#D55E00', RESPONSE: '#56B4E9', ACK: '#999999', TRACE: '#E69F00', PATH: '#F0E442', ANON_REQ: '#882255', GRP_DATA: '#44AA99' },
  },
  'Deuteranopia-tuned': {
    nodeColors: { repeater: '#E69F00', companion: '#0072B2', room: '#56B4E9', sensor: '#F0E442', observer: '#999999' },
    typeColors: { ADVERT: '#0072B2', GRP_TXT: '#56B4E9', TXT_MSG: '#E69F00', REQ: '#D55E00', RESPONSE: '#332288', ACK: '#999999', TRACE: '#F0E442', PATH: '#88CCEE', ANON_REQ: '#AA4499', GRP_DATA: '#117733' },
  },
  'Protanopia-tuned': {
    nodeColors: { repeater: '#F0E442', companion: '#0072B2', room: '#56B4E9', sensor: '#E69F00', observer: '#999999' },
    typeColors: { ADVERT: '#0072B2', GRP_TXT: '#56B4E9', TXT_MSG: '#F0E442', REQ: '#E69F00', RESPONSE: '#332288', ACK: '#999999', TRACE: '#DDCC77', PATH: '#88CCEE', ANON_REQ: '#AA4499', GRP_DATA: '#44AA99' },
  },
  'Tritanopia-tuned': {
    nodeColors: { repeater: '#CC3311', companion: '#009988', room: '#EE7733', sensor: '#EE3377', observer: '#BBBBBB' },
    typeColors: { ADVERT: '#009988', GRP_TXT: '#CC3311', TXT_MSG: '#EE3377', REQ: '#EE7733', RESPONSE: '#33BBEE', ACK: '#BBBBBB', TRACE: '#AA3377', PATH: '#117733', ANON_REQ: '#882255', GRP_DATA: '#0077BB' },
  },
  Achromatopsia: {
    nodeColors: { repeater: '#111111', companion: '#555555', room: '#888888', sensor: '#BBBBBB', observer: '#DDDDDD' },
    typeColors: { ADVERT: '#222222', GRP_TXT: '#444444', TXT_MSG: '#666666', REQ: '#888888', RESPONSE: '#AAAAAA', ACK: '#CCCCCC', TRACE: '#333333', PATH: '#777777', ANON_REQ: '#999999', GRP_DATA: '#BBBBBB' },
  },
};
