"""The ``csv_files`` adapter: CSV and XLSX exports that an ERP drops in a folder."""

from erp_adapters.csv_files.adapter import CsvFilesAdapter
from erp_adapters.registry import register

__all__ = ["CsvFilesAdapter"]

register("csv_files", CsvFilesAdapter.from_options)
