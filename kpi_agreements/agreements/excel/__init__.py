"""KPI Templates in Excel (DOMAIN §6, §10): ``layout`` (sheets, columns, headers, styles, drop-down lists),
``export`` (an agreement's workbook, a year's KPIs in one sheet), ``parse`` (reading and checking an upload).
Applying an upload is a service: ``services.excel_import``."""
