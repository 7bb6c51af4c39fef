"""One case as a report for a doctor: one page (PDF, text) and FHIR."""

# Its modules are imported by name (the PDF layout loads fpdf2 only when a report is drawn).
__all__ = ["case_report", "fhir", "layout", "person"]
