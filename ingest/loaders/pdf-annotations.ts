/**
 * Text a PDF page keeps outside its text layer: filled form fields (text fields, list
 * and combo boxes) and FreeText annotations. pdf.js's `getTextContent` never returns
 * them, so a form or an annotated scan would otherwise look empty. Each kind comes back
 * under its own heading, so that citations say where the words were found. The PDF
 * loader asks for them on the pages of a form and on pages without a text layer.
 */
import type { PdfDocument } from "./types.js";

type PdfPage = Awaited<ReturnType<PdfDocument["getPage"]>>;

export const FORM_FIELDS_HEADING = "Form fields";
export const ANNOTATIONS_HEADING = "Annotations";

export interface PageNote {
  heading: string;
  text: string;
}

/** The fields of pdf.js's annotation data this module reads (it has many more). */
interface AnnotationData {
  subtype?: string;
  fieldType?: string;
  fieldName?: string;
  alternativeText?: string;
  fieldValue?: unknown;
  options?: { exportValue?: unknown; displayValue?: unknown }[];
  contentsObj?: { str?: string };
  textContent?: string[];
}

/** `Label: value` lines for a page's filled fields, and the text of its FreeText annotations. */
export async function pageNotes(page: PdfPage): Promise<PageNote[]> {
  let annotations: AnnotationData[];
  try {
    annotations = (await page.getAnnotations({ intent: "display" })) as AnnotationData[];
  } catch {
    // Broken annotation dictionaries are no reason to lose the page's text.
    return [];
  }
  const fields: string[] = [];
  const notes: string[] = [];
  for (const annotation of annotations) {
    if (annotation.subtype === "FreeText") {
      const text = annotation.contentsObj?.str?.trim() || annotation.textContent?.join("\n").trim();
      if (text) notes.push(text);
    } else if (annotation.subtype === "Widget") {
      const value = fieldValue(annotation);
      if (!value) continue;
      const label = (annotation.alternativeText || annotation.fieldName || "").trim();
      fields.push(label ? `${label}: ${value}` : value);
    }
  }
  return [...(fields.length > 0 ? [{ heading: FORM_FIELDS_HEADING, text: fields.join("\n\n") }] : []), ...(notes.length > 0 ? [{ heading: ANNOTATIONS_HEADING, text: notes.join("\n\n") }] : [])];
}

/** A text field's value, or a choice field's selected entries by their display names; buttons carry no text. */
function fieldValue(annotation: AnnotationData): string {
  const raw = annotation.fieldValue;
  if (annotation.fieldType === "Tx") return typeof raw === "string" ? raw.trim() : "";
  if (annotation.fieldType !== "Ch") return "";
  const selected = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === "string" && v.trim() !== "");
  const shown = selected.map((value) => {
    const option = annotation.options?.find((o) => o.exportValue === value);
    return typeof option?.displayValue === "string" && option.displayValue.trim() ? option.displayValue.trim() : value.trim();
  });
  return shown.join(", ");
}
