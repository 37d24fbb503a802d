// A dataset's records as every reader gives them: a row of column values, or a bad row with the
// reason, each with where it is in its source.

/** Where a row is in its source, for messages: a 1-based line (files) or a file name (folders). */
export interface RowLocation {
  line?: number;
  file?: string;
}

export interface DatasetRow extends RowLocation {
  /** 0-based position among all records of the source, bad ones included, so it is stable across reads. */
  index: number;
  /** Column values as text. A column whose value is null or absent is not present. */
  values: Record<string, string>;
}

export interface BadRow extends RowLocation {
  index: number;
  message: string;
}

export type DatasetRecord = { kind: 'row'; row: DatasetRow } | { kind: 'bad'; bad: BadRow };
