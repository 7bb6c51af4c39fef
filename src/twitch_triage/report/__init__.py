"""One case as a report for a doctor: one page (PDF, text) and FHIR."""
