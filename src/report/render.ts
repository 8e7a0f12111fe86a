/** Placeholder replaced below. */
export interface ReportData {
  name: string;
  createdAt: string;
  chain: string;
  metadata: Array<[string, string]>;
  metrics: Record<string, number | string>;
  history: { steps: Array<{ step: number; epoch: number; loss: number; docsPerSecond: number }>; epochs: Array<{ epoch: number; step: number; loss: number }> };
  topics: Array<{ id: number; words: Array<{ token: string; weight: number }> }>;
  prevalence: number[];
  /** Topic-word distributions (rows), for the intertopic distance map. */
  topicWord: Float64Array[];
}

export function renderReport(data: ReportData): string {
  return `<!doctype html><title>${data.name}</title>`;
}
