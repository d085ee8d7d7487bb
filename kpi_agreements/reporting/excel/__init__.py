"""A round's results in Excel (DOMAIN §8, §10; issue 10 items 2 and 7): ``layout`` (sheets, columns, how a
result is written in one cell and read back), ``export`` (the round's workbook of every report in the user's
scope), ``parse`` (reading an upload with bounded work), ``jobs`` (both run as background jobs). Applying an
upload is a service: ``services.results_import``."""
