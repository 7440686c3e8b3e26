import { PDFDocument, PDFName, PDFString, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { ANNOTATIONS_HEADING, FORM_FIELDS_HEADING, LoadError, loadDocument } from "../ingest/loaders/index.js";

/** Fixtures are built here with pdf-lib: a page whose only text is an annotation, a filled form. */
async function freeTextPdf(contents: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([400, 300]);
  const annotation = pdf.context.register(
    pdf.context.obj({
      Type: "Annot",
      Subtype: "FreeText",
      Rect: [40, 150, 360, 250],
      Contents: PDFString.of(contents),
      DA: PDFString.of("/Helv 12 Tf 0 g"),
    }),
  );
  page.node.set(PDFName.of("Annots"), pdf.context.obj([annotation]));
  return pdf.save();
}

async function formPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const page = pdf.addPage([500, 400]);
  const form = pdf.getForm();
  const name = form.createTextField("applicant.name");
  name.setText("Ada Lovelace");
  name.addToPage(page, { x: 50, y: 300, width: 300, height: 24, font });
  const city = form.createTextField("applicant.city");
  city.setText("London");
  city.addToPage(page, { x: 50, y: 260, width: 300, height: 24, font });
  const empty = form.createTextField("applicant.phone");
  empty.addToPage(page, { x: 50, y: 220, width: 300, height: 24, font });
  const engines = form.createOptionList("engines");
  engines.setOptions(["Difference Engine", "Analytical Engine", "Jacquard Loom"]);
  engines.enableMultiselect();
  engines.select(["Analytical Engine", "Jacquard Loom"]);
  engines.addToPage(page, { x: 50, y: 100, width: 300, height: 80, font });
  const agree = form.createCheckBox("agree");
  agree.check();
  agree.addToPage(page, { x: 50, y: 60, width: 16, height: 16 });
  return pdf.save();
}

describe("text outside the text layer", () => {
  it("indexes a page whose only text is a FreeText annotation, marked as an annotation", async () => {
    const doc = await loadDocument(await freeTextPdf("Reviewer note: the tide table on page two is out of date."), "annotated.pdf");
    expect(doc.sections).toEqual([{ page: 1, heading: ANNOTATIONS_HEADING, text: "Reviewer note: the tide table on page two is out of date." }]);
  });

  it("indexes filled text fields and the selected list-box entries, labelled, marked as form fields", async () => {
    const doc = await loadDocument(await formPdf(), "form.pdf");
    expect(doc.sections).toHaveLength(1);
    const [section] = doc.sections;
    expect(section!.page).toBe(1);
    expect(section!.heading).toBe(FORM_FIELDS_HEADING);
    const lines = section!.text.split("\n\n");
    expect(lines).toContain("applicant.name: Ada Lovelace");
    expect(lines).toContain("applicant.city: London");
    expect(lines).toContain("engines: Analytical Engine, Jacquard Loom");
    // Empty fields and check boxes carry no text.
    expect(section!.text).not.toContain("applicant.phone");
    expect(section!.text).not.toContain("agree");
  });

  it("still refuses a PDF with no text anywhere", async () => {
    const pdf = await PDFDocument.create();
    pdf.addPage([200, 200]);
    const error = await loadDocument(await pdf.save(), "blank.pdf").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoadError);
    expect((error as LoadError).reason).toBe("no_text");
  });
});
