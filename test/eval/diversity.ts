import t from 'tap';
import { topicDiversity } from '../../src/eval/diversity.js';

const cases: Array<{ name: string; topics: string[][]; topk: number; want: number }> = [
  { name: 'all distinct', topics: [['a', 'b'], ['c', 'd']], topk: 2, want: 1 },
  { name: 'one shared word', topics: [['tax', 'vote'], ['goal', 'vote']], topk: 2, want: 0.75 },
  { name: 'identical topics', topics: [['a', 'b'], ['a', 'b'], ['a', 'b']], topk: 2, want: 1 / 3 },
  { name: 'only the top k count', topics: [['a', 'b', 'z'], ['c', 'd', 'z']], topk: 2, want: 1 },
  { name: 'words past k ignored even if shared', topics: [['a', 'x'], ['b', 'a']], topk: 1, want: 1 },
  { name: 'repeat inside a topic counts once', topics: [['a', 'a']], topk: 2, want: 0.5 },
];
for (const c of cases) t.test(c.name, async (t) => t.equal(topicDiversity(c.topics, c.topk), c.want));

t.test('default topk is 25', async (t) => {
  const topic = Array.from({ length: 25 }, (_, i) => `w${i}`);
  t.equal(topicDiversity([topic, topic]), 0.5);
  t.throws(() => topicDiversity([topic.slice(0, 24)]), { code: 'INVALID_OPTION', message: /topics\[0\].*topk=25/ });
});

t.test('invalid input', async (t) => {
  t.throws(() => topicDiversity([], 10), { code: 'INVALID_OPTION', message: /topics/ });
  t.throws(() => topicDiversity([['a']], 0), { code: 'INVALID_OPTION', message: /topk/ });
  t.throws(() => topicDiversity([['a', 'b'], ['c']], 2), { code: 'INVALID_OPTION', message: /topics\[1\]/ });
});
