"""The ``csv_files`` adapter (``adapter.py``): CSV and XLSX exports that an ERP drops in a folder.

Nothing is imported here, so the connection file's checks (``drops.py``) and the header aliases
(``mapping.py``) load without the readers and pandas.
"""
