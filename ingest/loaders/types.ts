/** What every loader returns: plain text in sections, with where each came from. */
export interface LoadedSection {
  text: string;
  /** 1-based page number (PDF only). */
  page?: number;
  /** Heading path, outermost first: `Guide > Install > Linux`. Absent before the first heading. */
  heading?: string;
}

export interface LoadedDocument {
  format: "pdf" | "markdown" | "html" | "text";
  title: string;
  /** Page count (PDF only). */
  pages?: number;
  sections: LoadedSection[];
}

export type DocumentFormat = LoadedDocument["format"];
