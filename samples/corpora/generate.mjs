#!/usr/bin/env node
// Writes the sample corpora shipped in samples/corpora/: short "field notes" on six themes,
// composed from sentence templates written for this project (no third-party text).
// Deterministic: the same seed always gives the same files.
//   node samples/corpora/generate.mjs            -> field-notes.ndjson, field-notes.csv, field-notes-txt/
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const DOCS = 480;
const TEXT_FILES = 60;

// mulberry32: tiny seeded PRNG, good enough for picking templates
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20261128);
const pick = (xs) => xs[Math.floor(random() * xs.length)];

const THEMES = {
  kitchen: {
    fill: {
      dish: ['risotto', 'sourdough loaf', 'lentil soup', 'apple pie', 'curry', 'omelette', 'pasta sauce', 'roast chicken', 'flatbread', 'stew'],
      ingredient: ['garlic', 'butter', 'onions', 'fresh basil', 'flour', 'olive oil', 'lemon zest', 'ginger', 'tomatoes', 'yeast', 'cumin', 'cream'],
      tool: ['cast iron pan', 'oven', 'wooden spoon', 'sharp knife', 'stock pot', 'mixing bowl'],
    },
    sentences: [
      'The {dish} needs more {ingredient}, so I added a spoonful and let it simmer for ten minutes.',
      'Heat the {tool} before you add the {ingredient}, otherwise the {dish} sticks and burns.',
      'My grandmother baked a {dish} every Sunday and never measured the {ingredient}.',
      'Chop the {ingredient} finely and stir it into the {dish} just before serving.',
      'A good {dish} depends on patience: low heat, a heavy {tool}, and plenty of {ingredient}.',
      'The recipe calls for {ingredient} and {ingredient}, but the {dish} tastes fine without them.',
      'Knead the dough until it is smooth, then leave it to rise near the warm {oven}.',
      'We tasted the {dish} again and agreed it needed salt, pepper and a little {ingredient}.',
      'Season the {dish} at the end; the flavour of {ingredient} fades if it cooks too long.',
      'Clean the {tool} right after cooking the {dish}, while it is still warm.',
    ],
  },
  sky: {
    fill: {
      body: ['Jupiter', 'Saturn', 'the Moon', 'Mars', 'Venus', 'the Orion nebula', 'the Andromeda galaxy', 'a comet', 'the Pleiades'],
      instrument: ['telescope', 'binoculars', 'star chart', 'eyepiece', 'camera mount', 'red torch'],
      sky: ['clear', 'dark', 'hazy', 'moonless', 'cold', 'steady'],
    },
    sentences: [
      'On a {sky} night the {instrument} showed {body} low above the horizon.',
      'We aligned the {instrument} at dusk and waited for {body} to rise over the hills.',
      'Through the {instrument}, {body} looked sharp, and we sketched what we saw.',
      'The observatory opened its dome because the sky was {sky} and the seeing was good.',
      'Astronomers measure the orbit of {body} by timing its position against distant stars.',
      'A {sky} sky makes faint galaxies visible, but city lights wash out most of them.',
      'The planet {body} was bright enough to see without any {instrument} at all.',
      'Light from {body} takes time to reach us, so we see it as it was, not as it is.',
      'She photographed {body} through the {instrument} with a long exposure and a steady mount.',
      'The meteor shower peaked after midnight, and the {sky} sky was full of streaks of light.',
    ],
  },
  football: {
    fill: {
      team: ['the home side', 'the visitors', 'the champions', 'the young squad', 'the league leaders', 'the promoted club'],
      player: ['the striker', 'the goalkeeper', 'the captain', 'the winger', 'the substitute', 'the defender'],
      moment: ['in the first half', 'just before half time', 'in stoppage time', 'after the break', 'in extra time'],
    },
    sentences: [
      '{player} scored {moment}, and {team} held on to win the match.',
      'The coach praised {team} for pressing hard and keeping the ball in midfield.',
      '{player} was shown a yellow card {moment} after a late tackle near the penalty area.',
      'The referee awarded a penalty {moment}, and {player} sent the goalkeeper the wrong way.',
      'Fans of {team} sang through the whole game despite the rain and the cold wind.',
      '{team} lost the final on penalties after a goalless draw and a tense extra time.',
      'The transfer of {player} to {team} was confirmed after a medical on Monday.',
      'Training focused on set pieces, corners and free kicks, before the league match on Saturday.',
      '{player} hit the post {moment}, and the stadium groaned as the ball bounced away.',
      'The season ended with {team} top of the table and {player} as the best scorer.',
    ],
  },
  garden: {
    fill: {
      plant: ['tomatoes', 'roses', 'runner beans', 'lettuce', 'apple trees', 'lavender', 'potatoes', 'strawberries', 'courgettes'],
      task: ['weeding', 'pruning', 'watering', 'mulching', 'sowing seeds', 'digging the beds', 'turning the compost'],
      season: ['spring', 'early summer', 'late autumn', 'winter', 'midsummer'],
    },
    sentences: [
      'In {season} the {plant} need regular {task} and a sunny spot out of the wind.',
      'We spent the morning {task} while the soil was still damp from the rain.',
      'Slugs ate half of the {plant} overnight, so we put copper tape around the beds.',
      'The compost heap is ready in {season}; spread it around the {plant} as a thick mulch.',
      'Plant the {plant} deep enough that the roots stay cool, and water them at dusk.',
      'Bees visited the {plant} all afternoon, which should mean a good harvest this year.',
      'After {task}, the garden looked tidy and the {plant} finally had room to grow.',
      'Frost in {season} can kill young {plant}, so cover them with fleece on cold nights.',
      'The allotment society swaps seeds every {season}, and I came home with new {plant}.',
      'Rotate the {plant} to a different bed each year to keep the soil healthy.',
    ],
  },
  computing: {
    fill: {
      system: ['the database', 'the web server', 'the build pipeline', 'the cache', 'the message queue', 'the compiler', 'the test suite'],
      problem: ['a memory leak', 'a race condition', 'slow queries', 'a failing deploy', 'a timeout', 'a null pointer error'],
      fix: ['an index', 'a retry with backoff', 'a lock', 'a smaller batch size', 'better logging', 'a rollback'],
    },
    sentences: [
      'We traced {problem} in {system} and fixed it with {fix}.',
      'The latency of {system} doubled after the release, so we added {fix} and profiled again.',
      'Write a test that reproduces {problem} before you change any code in {system}.',
      '{system} ran out of memory under load, which turned out to be {problem}.',
      'The engineers reviewed the patch for {system} and asked for {fix} before merging.',
      'Monitoring alerted us to {problem} at night, and the on-call engineer applied {fix}.',
      'Compile the project with warnings enabled; the compiler finds bugs early and cheaply.',
      'Refactoring {system} into smaller modules made {problem} much easier to find.',
      'Benchmarks showed that {fix} made {system} three times faster on the same hardware.',
      'The code review found {problem} in the new parser, and the release was postponed.',
    ],
  },
  sea: {
    fill: {
      boat: ['the dinghy', 'our sloop', 'the ferry', 'the fishing boat', 'the lifeboat', 'the old schooner'],
      weather: ['a strong westerly', 'a light breeze', 'a squall', 'thick fog', 'a rising swell', 'a gale warning'],
      place: ['the harbour', 'the headland', 'the estuary', 'the lighthouse', 'the open sea', 'the sandbar'],
    },
    sentences: [
      '{boat} left {place} at high tide, with {weather} filling the sails.',
      'The skipper reefed the mainsail when {weather} came in from the west.',
      'We anchored near {place} and waited for the tide to turn before sailing home.',
      'The coastguard broadcast {weather}, so {boat} stayed tied up in {place}.',
      'Navigating past {place} in {weather} takes a chart, a compass and a calm crew.',
      'Fishermen at {place} mend their nets on the quay while the gulls circle overhead.',
      '{boat} rolled heavily in {weather}, and half the crew felt seasick.',
      'The lighthouse keeper logged every ship that passed {place} during the storm.',
      'At dawn the wind dropped, and {boat} drifted slowly towards {place} on the tide.',
      'Check the forecast, the tide tables and the lifejackets before taking {boat} out.',
    ],
  },
};
const NAMES = Object.keys(THEMES);

function sentence(theme) {
  const t = THEMES[theme];
  return pick(t.sentences).replace(/\{(\w+)\}/g, (_, slot) => {
    if (slot === 'oven') return 'oven';
    const word = pick(t.fill[slot]);
    return word;
  });
}

function capitalise(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const docs = [];
for (let i = 0; i < DOCS; i++) {
  const main = NAMES[i % NAMES.length];
  const other = pick(NAMES.filter((n) => n !== main));
  const n = 4 + Math.floor(random() * 5);
  const parts = [];
  for (let k = 0; k < n; k++) parts.push(capitalise(sentence(random() < 0.8 ? main : other)));
  docs.push({ id: `note-${String(i + 1).padStart(4, '0')}`, theme: main, text: parts.join(' ') });
}

writeFileSync(join(here, 'field-notes.ndjson'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
const csvCell = (s) => `"${s.replace(/"/g, '""')}"`;
writeFileSync(join(here, 'field-notes.csv'), 'id,theme,text\n' + docs.map((d) => [d.id, d.theme, csvCell(d.text)].join(',')).join('\n') + '\n');
const txtDir = join(here, 'field-notes-txt');
rmSync(txtDir, { recursive: true, force: true });
mkdirSync(txtDir, { recursive: true });
for (const d of docs.slice(0, TEXT_FILES)) {
  // one paragraph per line, as a plain note would be written
  writeFileSync(join(txtDir, `${d.id}.txt`), d.text.replace(/\. /g, '.\n') + '\n');
}
console.log(`wrote ${docs.length} documents to ${here}`);
