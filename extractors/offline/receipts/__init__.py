"""Receipt fields found by rules in RapidOCR's text: amounts, dates, merchant, one module each."""
