import { resolve } from 'node:path';
import { ErrorCodes, MetacompressError, writeFileAtomic } from '@metacompress/core';
import { renderHtmlReport } from './html-report';
import { validateReport } from './validate';
import type { CompressionReport } from './types';

/** Where {@link writeReports} writes, and what it must never overwrite. */
export interface WriteReportsOptions {
  /** The JSON report (pretty-printed, newline-terminated). */
  jsonPath?: string;
  /** The self-contained HTML page. */
  htmlPath?: string;
  /** Paths that must not be overwritten (the input model, its external data). */
  protect?: readonly string[];
}

/**
 * Validates a report, then writes it as JSON and/or HTML, each atomically (a temporary file
 * renamed into place), refusing to overwrite a protected path (`MC_OUTPUT_IS_INPUT`) or to write
 * both reports to one path. Returns the absolute paths written.
 *
 * @example
 * await writeReports(report, { jsonPath: 'small.report.json', htmlPath: 'small.report.html', protect: [inputPath] });
 */
export async function writeReports(
  report: CompressionReport,
  options: WriteReportsOptions,
): Promise<{ jsonPath?: string; htmlPath?: string }> {
  const { jsonPath, htmlPath, protect = [] } = options;
  validateReport(report);
  if (jsonPath && htmlPath && resolve(jsonPath) === resolve(htmlPath)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      'the JSON and HTML reports cannot share a path',
      {
        file: jsonPath,
      },
    );
  }
  const targets = [jsonPath, htmlPath].filter((p): p is string => Boolean(p));
  for (const target of targets) {
    if (protect.some((p) => resolve(p) === resolve(target))) {
      // Checked for both before writing either, so no half of the pair is left behind.
      throw new MetacompressError(
        ErrorCodes.OUTPUT_IS_INPUT,
        'refusing to overwrite the input with a report',
        {
          file: target,
        },
      );
    }
  }
  // Render both before writing either, so a rendering bug cannot leave one report behind.
  const json = jsonPath ? `${JSON.stringify(report, null, 2)}\n` : undefined;
  const page = htmlPath ? renderHtmlReport(report) : undefined;
  const written: { jsonPath?: string; htmlPath?: string } = {};
  if (jsonPath && json !== undefined) {
    await writeFileAtomic(jsonPath, json, { protect });
    written.jsonPath = resolve(jsonPath);
  }
  if (htmlPath && page !== undefined) {
    await writeFileAtomic(htmlPath, page, { protect });
    written.htmlPath = resolve(htmlPath);
  }
  return written;
}
